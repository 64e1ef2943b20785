-- grain: one row per order_id whose core facts this build recomputes (an incremental build).
-- Reads changed_<table> (incremental/changed.sql): the rows of each staging table that differ from the previous build's
-- (both sides), so a new, changed or vanished row all count. Orders not in here are settled
-- for this build: nothing they are built from changed, and core keeps their rows.
create or replace temp table scope_orders as
with touched as (
    select order_id from changed_orders
    union all
    select order_id from changed_order_lines
    union all
    select order_id from changed_payments
    union all
    select order_id from changed_allocations
    union all
    select order_id from changed_shipments
    union all
    -- a return movement restocks its order's parcels (core.shipment_tracking)
    select order_id from changed_stock_movements
    union all
    select shipments.order_id
    from staging.shipments as shipments
    semi join changed_shipment_lines as lines on shipments.shipment_id = lines.shipment_id
    union all
    select shipments.order_id
    from staging.shipments as shipments
    semi join changed_tracking_events as events
        on shipments.carrier = events.carrier and shipments.tracking_number = events.tracking_number
    union all
    -- a shipment sharing a tracking number changes the count on the others (duplicate_tracking_number)
    select shipments.order_id
    from staging.shipments as shipments
    semi join changed_shipments as changed on shipments.tracking_number = changed.tracking_number
    union all
    -- a catalog change decides unknown_sku for every order naming that SKU
    select lines.order_id
    from staging.order_lines as lines
    semi join changed_skus as skus on lines.sku = skus.sku
    union all
    -- the one core fact that moves with as_of alone: placed_at in the future (order_capture),
    -- at either build's as_of ($low, the earlier of the two)
    select order_id
    from staging.orders
    where placed_at > $low + to_minutes(getvariable('clock_skew_minutes')::bigint)
)

select distinct order_id from touched where order_id is not null;
