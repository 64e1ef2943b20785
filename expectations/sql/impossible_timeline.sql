-- grain: one row per order whose events happened in an impossible order
-- offends when: a shipment delivered before it shipped, shipped before the order was paid, or paid before it was placed
select
    order_id as entity_id,
    array_to_string(timeline_problems, '; ') as problems,
    placed_at,
    paid_at,
    first_shipped_at,
    last_delivered_at,
    total_amount as amount_at_risk
from core.order_delivery
where len(timeline_problems) > 0
