-- grain: one row per order whose events happened in an impossible order
-- offends when: a shipment delivered before it shipped, shipped before the order was paid, or paid before it was placed
-- began_at: when the first contradiction could be seen, i.e. when the later of its two
-- events happened: the shipment for delivered-before-shipped, the capture for
-- shipped-before-paid, the placement for paid-before-placed
select
    order_id as entity_id,
    array_to_string(timeline_problems, '; ') as problems,
    placed_at,
    paid_at,
    first_shipped_at,
    last_delivered_at,
    least(
        case when list_contains(timeline_problems, 'delivered before shipped') then first_shipped_at end,
        case when list_contains(timeline_problems, 'shipped before paid') then paid_at end,
        case when list_contains(timeline_problems, 'paid before placed') then placed_at end
    ) as began_at,
    total_amount as amount_at_risk
from core.order_delivery
where len(timeline_problems) > 0
