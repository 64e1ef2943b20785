-- grain: one row per open order still unpaid past the payment SLA
-- offends when: not cancelled, no capture, and more than `payment_sla_hours` calendar hours since `placed_at`
-- began_at: when the payment SLA expired: placed_at + payment_sla_hours
select
    order_id as entity_id,
    status,
    placed_at,
    round((epoch(getvariable('as_of')) - epoch(placed_at)) / 3600, 1) as hours_waiting,
    placed_at + to_seconds(getvariable('payment_sla_hours') * 3600) as began_at,
    total_amount as amount_at_risk
from core.order_payments
where status <> 'cancelled'
  and paid_at is null
  and (epoch(getvariable('as_of')) - epoch(placed_at)) / 3600 > getvariable('payment_sla_hours')
