-- grain: one row per order the carrier delivered that the shop still has open
-- offends when: every shipment delivered more than `close_grace_hours` calendar hours ago, order status not `delivered` or `closed`
select
    order_id as entity_id,
    status,
    last_delivered_at,
    round((epoch(getvariable('as_of')) - epoch(last_delivered_at)) / 3600, 1) as hours_since_delivery,
    total_amount as amount_at_risk
from core.order_delivery
where all_delivered
  and status not in ('delivered', 'closed')
  and (epoch(getvariable('as_of')) - epoch(last_delivered_at)) / 3600 > getvariable('close_grace_hours')
