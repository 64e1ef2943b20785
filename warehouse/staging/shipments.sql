-- grain: one row per shipment_id, as last delivered, known at as_of
create or replace table staging.shipments as
with source as (
    select * from raw.shipments
    where cast(shipped_at as timestamptz) <= getvariable('as_of')
),

typed as (
    select
        shipment_id,
        order_id,
        warehouse_id,
        carrier,
        tracking_number,
        cast(shipped_at as timestamptz) as shipped_at,
        cast(declared_weight_kg as decimal(10, 3)) as declared_weight_kg,
        _batch_id,
        _loaded_at,
        _row_number
    from source
),

final as (
    select * exclude (_loaded_at)
    from typed
    qualify row_number() over (
        partition by shipment_id order by _loaded_at desc, _row_number desc
    ) = 1
)

select * from final;
