-- grain: one row per movement_id, as last delivered, known at as_of
create or replace table staging.stock_movements as
with source as (
    select * from raw.stock_movements
    where cast(occurred_at as timestamptz) <= getvariable('as_of')
),

typed as (
    select
        movement_id,
        cast(occurred_at as timestamptz) as occurred_at,
        warehouse_id,
        sku,
        cast(quantity_delta as integer) as quantity_delta,
        reason,
        nullif(order_id, '') as order_id,
        _batch_id,
        _loaded_at,
        _row_number
    from source
),

final as (
    select * exclude (_loaded_at)
    from typed
    qualify row_number() over (
        partition by movement_id order by _loaded_at desc, _row_number desc
    ) = 1
)

select * from final;
