-- grain: one row per cancelled order that kept more money than it refunded
-- offends when: cancelled, captured more than refunded, and cancelled more than `refund_grace_hours` calendar hours ago
-- began_at: when the refund fell due: cancelled_at + refund_grace_hours
select
    order_id as entity_id,
    cancelled_at,
    captured_amount,
    refunded_amount,
    last_refund_at,
    cancelled_at + to_seconds(getvariable('refund_grace_hours') * 3600) as began_at,
    captured_amount - refunded_amount as amount_at_risk
from core.order_payments
where status = 'cancelled'
  and captured_amount - refunded_amount > getvariable('money_tolerance')
  and (epoch(getvariable('as_of')) - epoch(cancelled_at)) / 3600 > getvariable('refund_grace_hours')
