-- grain: one row per (order_id, line_no) of the order's latest version
create or replace table staging.order_lines as
with source as (
    select * from raw.order_lines
),

typed as (
    select
        order_id,
        cast(order_updated_at as timestamptz) as order_updated_at,
        cast(line_no as integer) as line_no,
        sku,
        cast(quantity as integer) as quantity,
        cast(unit_price as decimal(18, 2)) as unit_price,
        _batch_id,
        _loaded_at,
        _row_number
    from source
),

latest_version as (
    select typed.*
    from typed
    inner join staging.orders as orders
        on typed.order_id = orders.order_id and typed.order_updated_at = orders.updated_at
),

final as (
    select order_id, line_no, sku, quantity, unit_price, _batch_id, _row_number
    from latest_version
    qualify row_number() over (
        partition by order_id, line_no order by _loaded_at desc, _row_number desc
    ) = 1
)

select * from final;
