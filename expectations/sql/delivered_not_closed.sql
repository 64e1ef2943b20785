-- grain: one row per order the carrier delivered that the shop still has open
-- offends when: every shipment delivered more than `close_grace_hours` calendar hours ago, order status not `delivered` or `closed`
-- began_at: when the close grace ran out: last_delivered_at + close_grace_hours
select
    order_id as entity_id,
    status,
    last_delivered_at,
    round((epoch(getvariable('as_of')) - epoch(last_delivered_at)) / 3600, 1) as hours_since_delivery,
    last_delivered_at + to_seconds(getvariable('close_grace_hours') * 3600) as began_at,
    total_amount as amount_at_risk
from core.order_delivery
where all_delivered
  and status not in ('delivered', 'closed')
  and (epoch(getvariable('as_of')) - epoch(last_delivered_at)) / 3600 > getvariable('close_grace_hours')
