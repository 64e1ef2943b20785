-- grain: one row per order whose carrier billed parcels it could have carried as one
-- offends when: two or more parcels of the order, same carrier and same warehouse, each billed, shipped within `split_parcel_window_hours` of the one before; the later parcels' charges are at risk
-- began_at: when the carrier first billed one of the later parcels: their earliest `invoiced_at`
with billed as (
    -- one row per shipment the carrier invoiced; a shared tracking number is duplicate_tracking_number's
    select
        shipments.order_id,
        shipments.shipment_id,
        shipments.carrier,
        shipments.warehouse_id,
        shipments.shipped_at,
        min(invoices.invoiced_at) as invoiced_at,
        sum(invoices.charged_amount) as charged_amount
    from core.shipment_tracking as shipments
    inner join core.carrier_billing as invoices
        on shipments.carrier = invoices.carrier and shipments.tracking_number = invoices.tracking_number
    where shipments.shipments_with_number = 1
    group by all
),

sequenced as (
    select
        *,
        lag(shipped_at) over (
            partition by order_id, carrier, warehouse_id order by shipped_at, shipment_id
        ) as previous_shipped_at
    from billed
),

split as (
    select *
    from sequenced
    where epoch(shipped_at) - epoch(previous_shipped_at) <= getvariable('split_parcel_window_hours') * 3600
),

final as (
    select
        order_id as entity_id,
        string_agg(distinct carrier, ', ' order by carrier) as carriers,
        string_agg(distinct warehouse_id, ', ' order by warehouse_id) as warehouses,
        count(*) as split_parcels,
        string_agg(shipment_id, ', ' order by shipped_at, shipment_id) as split_shipments,
        min(invoiced_at) as began_at,
        sum(charged_amount) as amount_at_risk
    from split
    group by order_id
)

select * from final
