-- grain: one row per payment_id, as last delivered, known at as_of
create or replace table staging.payments as
with source as (
    select * from raw.payments
    where cast(occurred_at as timestamptz) <= getvariable('as_of')
      and cast(order_updated_at as timestamptz) <= getvariable('as_of')
),

typed as (
    select
        payment_id,
        order_id,
        kind,
        cast(amount as decimal(18, 2)) as amount,
        currency,
        cast(occurred_at as timestamptz) as occurred_at,
        cast(order_updated_at as timestamptz) as order_updated_at,
        _batch_id,
        _loaded_at,
        _row_number
    from source
),

final as (
    select * exclude (order_updated_at, _loaded_at)
    from typed
    qualify row_number() over (
        partition by payment_id order by order_updated_at desc, _loaded_at desc, _row_number desc
    ) = 1
)

select * from final;
