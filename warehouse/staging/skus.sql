-- grain: one row per sku, as last delivered
create or replace table staging.skus as
with source as (
    select * from raw.skus
),

typed as (
    select
        sku,
        description,
        cast(unit_weight_kg as decimal(10, 3)) as unit_weight_kg,
        cast(reorder_point as integer) as reorder_point,
        _batch_id,
        _loaded_at,
        _row_number
    from source
),

final as (
    select * exclude (_loaded_at)
    from typed
    qualify row_number() over (partition by sku order by _loaded_at desc, _row_number desc) = 1
)

select * from final;
