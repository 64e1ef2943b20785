-- grain: one row per carrier invoice, with the shipment(s) carrying its tracking number.
create or replace table core.carrier_billing as
with invoices as (
    select * from staging.carrier_invoices
),

shipped as (
    select
        tracking_number,
        count(*) as shipment_count,
        sum(declared_weight_kg) as declared_weight_kg,
        min(shipment_id) as shipment_id,
        min(order_id) as order_id
    from staging.shipments
    group by tracking_number
),

final as (
    select
        invoices.invoice_id,
        invoices.carrier,
        invoices.tracking_number,
        invoices.service,
        invoices.invoiced_at,
        invoices.billed_weight_kg,
        invoices.charged_amount,
        shipped.shipment_id,
        shipped.order_id,
        coalesce(shipped.shipment_count, 0) as shipment_count,
        shipped.declared_weight_kg
    from invoices
    left join shipped on invoices.tracking_number = shipped.tracking_number
)

select * from final;
