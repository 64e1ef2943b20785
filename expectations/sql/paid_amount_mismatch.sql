-- grain: one row per paid order whose net capture differs from its total
-- offends when: the order has a capture, is not `cancelled` or `returned`, and captured minus refunded differs from total_amount by more than `money_tolerance`
-- began_at: when the last payment that left the net off: the later of the first capture and the last refund
select
    order_id as entity_id,
    status,
    total_amount,
    captured_amount,
    refunded_amount,
    captured_amount - refunded_amount - total_amount as difference,
    greatest(paid_at, last_refund_at) as began_at,
    abs(captured_amount - refunded_amount - total_amount) as amount_at_risk
from core.order_payments
where paid_at is not null
  and status not in ('cancelled', 'returned')
  and abs(captured_amount - refunded_amount - total_amount) > getvariable('money_tolerance')
