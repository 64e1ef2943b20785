-- grain: one row per order that passed capture, with its money and allocation times.
-- Built for the orders in scope_orders only (warehouse/incremental.py): all of them in a full
-- build, the ones whose inputs changed in an incremental one.
create or replace table core.order_payments as
with orders as (
    select * from core.order_capture where capture_ok and order_id in (select order_id from scope_orders)
),

payments as (
    select
        order_id,
        coalesce(sum(amount) filter (where kind = 'capture'), 0) as captured_amount,
        coalesce(sum(amount) filter (where kind = 'refund'), 0) as refunded_amount,
        min(occurred_at) filter (where kind = 'capture') as paid_at,
        max(occurred_at) filter (where kind = 'refund') as last_refund_at
    from staging.payments
    where order_id in (select order_id from scope_orders)
    group by order_id
),

allocations as (
    select order_id, min(allocated_at) as first_allocated_at
    from staging.allocations
    where order_id in (select order_id from scope_orders)
    group by order_id
),

final as (
    select
        orders.order_id,
        orders.status,
        orders.placed_at,
        orders.cancelled_at,
        orders.currency,
        orders.total_amount,
        coalesce(payments.captured_amount, 0) as captured_amount,
        coalesce(payments.refunded_amount, 0) as refunded_amount,
        payments.paid_at,
        payments.last_refund_at,
        allocations.first_allocated_at
    from orders
    left join payments on orders.order_id = payments.order_id
    left join allocations on orders.order_id = allocations.order_id
)

select * from final;
