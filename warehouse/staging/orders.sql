-- grain: one row per order_id, the latest version known at as_of
create or replace table staging.orders as
with source as (
    select * from raw.orders
    where cast(updated_at as timestamptz) <= getvariable('as_of')
),

typed as (
    select
        order_id,
        channel,
        customer_id,
        cast(placed_at as timestamptz) as placed_at,
        status,
        currency,
        cast(shipping_amount as decimal(18, 2)) as shipping_amount,
        cast(discount_amount as decimal(18, 2)) as discount_amount,
        cast(total_amount as decimal(18, 2)) as total_amount,
        cast(promised_ship_by as timestamptz) as promised_ship_by,
        cast(promised_delivery_by as timestamptz) as promised_delivery_by,
        ship_to_country,
        ship_to_region,
        ship_to_postcode,
        cast(cancelled_at as timestamptz) as cancelled_at,
        cast(updated_at as timestamptz) as updated_at,
        _batch_id,
        _loaded_at,
        _row_number
    from source
),

final as (
    select * exclude (_loaded_at)
    from typed
    qualify row_number() over (
        partition by order_id order by updated_at desc, _loaded_at desc, _row_number desc
    ) = 1
)

select * from final;
