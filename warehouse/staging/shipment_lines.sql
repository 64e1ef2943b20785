-- grain: one row per (shipment_id, sku), as last delivered
create or replace table staging.shipment_lines as
with source as (
    select lines.*
    from raw.shipment_lines as lines
    semi join raw.shipments as shipments
        on lines.shipment_id = shipments.shipment_id
        and cast(shipments.shipped_at as timestamptz) <= getvariable('as_of')
),

typed as (
    select
        shipment_id,
        sku,
        cast(quantity as integer) as quantity,
        _batch_id,
        _loaded_at,
        _row_number
    from source
),

final as (
    select * exclude (_loaded_at)
    from typed
    qualify row_number() over (
        partition by shipment_id, sku order by _loaded_at desc, _row_number desc
    ) = 1
)

select * from final;
