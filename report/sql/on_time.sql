-- grain: one row: orders whose promise fell in the 7 days up to $as_of, and how many kept it.
-- Cancelled and unpaid orders owe no shipment.
with shipping as (
    select
        count(*) as due,
        count(*) filter (where fulfilled and last_shipped_at <= promised_ship_by) as on_time
    from core.order_fulfillment
    where promised_ship_by > $as_of::timestamptz - interval 7 day
      and promised_ship_by <= $as_of::timestamptz
      and status not in ('cancelled', 'pending_payment')
),

delivering as (
    select
        count(*) as due,
        count(*) filter (where all_delivered and last_delivered_at <= promised_delivery_by) as on_time
    from core.order_delivery
    where promised_delivery_by > $as_of::timestamptz - interval 7 day
      and promised_delivery_by <= $as_of::timestamptz
      and status not in ('cancelled', 'pending_payment')
)

select shipping.due, shipping.on_time, delivering.due, delivering.on_time
from shipping, delivering
