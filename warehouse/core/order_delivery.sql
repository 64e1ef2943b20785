-- grain: one row per order that passed capture, with its shipping and delivery timeline.
-- Built for the orders in scope_orders only (warehouse/incremental.py): all of them in a full
-- build, the ones whose inputs changed in an incremental one.
create or replace table core.order_delivery as
with orders as (
    select
        payments.*,
        capture.promised_ship_by,
        capture.promised_delivery_by
    from core.order_payments as payments
    inner join core.order_capture as capture on payments.order_id = capture.order_id
    where payments.order_id in (select order_id from scope_orders)
),

parcels as (
    select
        order_id,
        count(*) as shipment_count,
        count(delivered_at) as delivered_count,
        min(shipped_at) as first_shipped_at,
        max(delivered_at) as last_delivered_at,
        bool_or(delivered_at < shipped_at) as delivered_before_shipped
    from core.shipment_tracking
    where order_id in (select order_id from scope_orders)
    group by order_id
),

final as (
    select
        orders.order_id,
        orders.status,
        orders.placed_at,
        orders.paid_at,
        orders.promised_delivery_by,
        orders.total_amount,
        coalesce(parcels.shipment_count, 0) as shipment_count,
        coalesce(parcels.delivered_count, 0) as delivered_count,
        parcels.first_shipped_at,
        parcels.last_delivered_at,
        coalesce(parcels.shipment_count = parcels.delivered_count, false) as all_delivered,
        list_filter([
            case when parcels.delivered_before_shipped then 'delivered before shipped' end,
            case when parcels.first_shipped_at < orders.paid_at then 'shipped before paid' end,
            case when orders.paid_at < orders.placed_at then 'paid before placed' end
        ], problem -> problem is not null) as timeline_problems
    from orders
    left join parcels on orders.order_id = parcels.order_id
)

select * from final;
