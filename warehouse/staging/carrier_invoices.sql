-- grain: one row per invoice_id, as last delivered, known at as_of
create or replace table staging.carrier_invoices as
with source as (
    select * from raw.carrier_invoices
    where cast(invoiced_at as timestamptz) <= getvariable('as_of')
),

typed as (
    select
        invoice_id,
        carrier,
        tracking_number,
        cast(billed_weight_kg as decimal(10, 3)) as billed_weight_kg,
        cast(charged_amount as decimal(18, 2)) as charged_amount,
        service,
        cast(invoiced_at as timestamptz) as invoiced_at,
        _batch_id,
        _loaded_at,
        _row_number
    from source
),

final as (
    select * exclude (_loaded_at)
    from typed
    qualify row_number() over (
        partition by invoice_id order by _loaded_at desc, _row_number desc
    ) = 1
)

select * from final;
