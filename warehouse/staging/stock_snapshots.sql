-- grain: one row per (snapshot_at, warehouse_id, sku), as last delivered, known at as_of
create or replace table staging.stock_snapshots as
with source as (
    select * from raw.stock_snapshots
    where cast(snapshot_at as timestamptz) <= getvariable('as_of')
),

typed as (
    select
        cast(snapshot_at as timestamptz) as snapshot_at,
        warehouse_id,
        sku,
        cast(on_hand as integer) as on_hand,
        cast(allocated as integer) as allocated,
        _batch_id,
        _loaded_at,
        _row_number
    from source
),

final as (
    select * exclude (_loaded_at)
    from typed
    qualify row_number() over (
        partition by snapshot_at, warehouse_id, sku order by _loaded_at desc, _row_number desc
    ) = 1
)

select * from final;
