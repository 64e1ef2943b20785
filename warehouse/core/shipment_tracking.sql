-- grain: one row per shipment of an order that passed capture, with what its carrier reported.
-- Built for the orders in scope_orders only (warehouse/incremental.py): all of them in a full
-- build, the ones whose inputs changed in an incremental one.
create or replace table core.shipment_tracking as
with orders as (
    select order_id, status, total_amount from core.order_capture where capture_ok and order_id in (select order_id from scope_orders)
),

shipments as (
    select shipments.*, orders.status as order_status, orders.total_amount as order_total
    from staging.shipments as shipments
    inner join orders on shipments.order_id = orders.order_id
),

events as (
    select
        carrier,
        tracking_number,
        count(*) as event_count,
        min(event_at) filter (where status = 'label_created') as label_created_at,
        min(event_at) filter (where status <> 'label_created') as first_scan_at,
        max(event_at) as last_event_at,
        arg_max(status, event_at) as last_status,
        arg_max(location, event_at) as last_location,
        max(event_at) filter (where status = 'delivered') as delivered_at,
        max(event_at) filter (where status = 'returned_to_sender') as returned_at
    from staging.tracking_events
    where (carrier, tracking_number) in (select (carrier, tracking_number) from shipments)
    group by carrier, tracking_number
),

sharing as (
    select tracking_number, count(*) as shipments_with_number
    from staging.shipments
    where tracking_number in (select tracking_number from shipments)
    group by tracking_number
),

restocks as (
    select order_id, max(occurred_at) as last_return_movement_at
    from staging.stock_movements
    where reason = 'return' and order_id in (select order_id from scope_orders)
    group by order_id
),

final as (
    select
        shipments.shipment_id,
        shipments.order_id,
        shipments.order_status,
        shipments.order_total,
        shipments.warehouse_id,
        shipments.carrier,
        shipments.tracking_number,
        shipments.shipped_at,
        shipments.declared_weight_kg,
        coalesce(regexp_full_match(shipments.tracking_number, formats.pattern), false)
            as tracking_well_formed,
        coalesce(sharing.shipments_with_number, 1) as shipments_with_number,
        coalesce(events.event_count, 0) as event_count,
        events.label_created_at,
        events.first_scan_at,
        events.last_event_at,
        events.last_status,
        events.last_location,
        events.delivered_at,
        events.returned_at,
        restocks.last_return_movement_at
    from shipments
    left join core.tracking_formats as formats on shipments.carrier = formats.carrier
    left join events
        on shipments.carrier = events.carrier and shipments.tracking_number = events.tracking_number
    left join sharing on shipments.tracking_number = sharing.tracking_number
    left join restocks on shipments.order_id = restocks.order_id
)

select * from final;
