-- grain: one row per allocation_id, as last delivered, known at as_of
create or replace table staging.allocations as
with source as (
    select * from raw.allocations
    where cast(allocated_at as timestamptz) <= getvariable('as_of')
),

typed as (
    select
        allocation_id,
        order_id,
        cast(line_no as integer) as line_no,
        sku,
        warehouse_id,
        cast(quantity as integer) as quantity,
        cast(allocated_at as timestamptz) as allocated_at,
        _batch_id,
        _loaded_at,
        _row_number
    from source
),

final as (
    select * exclude (_loaded_at)
    from typed
    qualify row_number() over (
        partition by allocation_id order by _loaded_at desc, _row_number desc
    ) = 1
)

select * from final;
