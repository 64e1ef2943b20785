-- grain: one row per order that passed capture, with what was ordered and what shipped.
-- Built for the orders in scope_orders only (warehouse/incremental.py): all of them in a full
-- build, the ones whose inputs changed in an incremental one.
create or replace table core.order_fulfillment as
with orders as (
    select * from core.order_capture where capture_ok and order_id in (select order_id from scope_orders)
),

ordered as (
    select order_id, sku, sum(quantity) as quantity
    from staging.order_lines
    where order_id in (select order_id from scope_orders)
    group by order_id, sku
),

shipped as (
    select shipments.order_id, lines.sku, sum(lines.quantity) as quantity
    from staging.shipments as shipments
    inner join staging.shipment_lines as lines on shipments.shipment_id = lines.shipment_id
    where shipments.order_id in (select order_id from scope_orders)
    group by shipments.order_id, lines.sku
),

item_diff as (
    select
        coalesce(ordered.order_id, shipped.order_id) as order_id,
        coalesce(ordered.sku, shipped.sku) as sku,
        coalesce(ordered.quantity, 0) as ordered_quantity,
        coalesce(shipped.quantity, 0) as shipped_quantity
    from ordered
    full outer join shipped on ordered.order_id = shipped.order_id and ordered.sku = shipped.sku
),

items as (
    select
        order_id,
        string_agg(sku || ' x' || ordered_quantity, ', ' order by sku)
            filter (where ordered_quantity > 0) as ordered_items,
        string_agg(sku || ' x' || shipped_quantity, ', ' order by sku)
            filter (where shipped_quantity > 0) as shipped_items,
        bool_or(ordered_quantity <> shipped_quantity) as items_differ
    from item_diff
    group by order_id
),

shipment_totals as (
    select order_id, count(*) as shipment_count, min(shipped_at) as first_shipped_at,
        max(shipped_at) as last_shipped_at
    from staging.shipments
    where order_id in (select order_id from scope_orders)
    group by order_id
),

final as (
    select
        orders.order_id,
        orders.status,
        orders.placed_at,
        orders.cancelled_at,
        orders.promised_ship_by,
        orders.promised_delivery_by,
        orders.currency,
        orders.total_amount,
        orders.status in ('shipped', 'delivered', 'closed', 'returned') as fulfilled,
        coalesce(shipment_totals.shipment_count, 0) as shipment_count,
        shipment_totals.first_shipped_at,
        shipment_totals.last_shipped_at,
        items.ordered_items,
        items.shipped_items,
        coalesce(items.items_differ, false) as items_differ
    from orders
    left join shipment_totals on orders.order_id = shipment_totals.order_id
    left join items on orders.order_id = items.order_id
)

select * from final;
