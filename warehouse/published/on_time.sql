-- grain: one row for the publication at $as_of: orders whose promise fell in the 7 days up to then,
-- and how many kept it. Lateness is what the late_shipment and late_delivery checks just published
-- (their rule lives only in their SQL); without that check, or when the run did not evaluate it
-- (audit.check_runs), the figure is null, not 100%.
-- Cancelled and unpaid orders owe no shipment.
insert into published.on_time
with published_checks as (
    select check_id from exceptions.checks
    where check_id not in (select check_id from audit.check_runs where run_id = $run_id::varchar and not evaluated)
),

late as (
    select check_id, entity_id as order_id from exceptions.current
    where check_id in ('late_shipment', 'late_delivery')
),

shipping as (
    select
        count(*) as due,
        count(*) - count(late.order_id) as on_time
    from core.order_fulfillment as orders
    left join late on late.check_id = 'late_shipment' and orders.order_id = late.order_id
    where orders.promised_ship_by > $as_of::timestamptz - interval 7 day
      and orders.promised_ship_by <= $as_of::timestamptz
      and orders.status not in ('cancelled', 'pending_payment')
),

delivering as (
    select
        count(*) as due,
        count(*) filter (where orders.all_delivered) - count(late.order_id) as on_time
    from core.order_delivery as orders
    left join late on late.check_id = 'late_delivery' and orders.order_id = late.order_id
    where orders.promised_delivery_by > $as_of::timestamptz - interval 7 day
      and orders.promised_delivery_by <= $as_of::timestamptz
      and orders.status not in ('cancelled', 'pending_payment')
)

select
    $run_id::varchar,
    $as_of::timestamptz,
    shipping.due,
    case when 'late_shipment' in (select check_id from published_checks) then shipping.on_time end,
    delivering.due,
    case when 'late_delivery' in (select check_id from published_checks) then delivering.on_time end
from shipping, delivering
