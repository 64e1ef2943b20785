-- grain: one row per (shipment_id, sku), as last delivered
create or replace table staging.shipment_lines as
with source as (
    select * from raw.shipment_lines
),

typed as (
    select
        shipment_id,
        sku,
        cast(quantity as integer) as quantity,
        _loaded_at,
        _row_number
    from source
),

final as (
    select * exclude (_loaded_at, _row_number)
    from typed
    qualify row_number() over (
        partition by shipment_id, sku order by _loaded_at desc, _row_number desc
    ) = 1
)

select * from final;
