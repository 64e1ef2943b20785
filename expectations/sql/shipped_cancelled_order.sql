-- grain: one row per cancelled order that has a shipment
-- offends when: cancelled, and a shipment exists for it
-- began_at: when both were true: the later of cancelled_at and the first shipment
select
    order_id as entity_id,
    cancelled_at,
    first_shipped_at,
    shipment_count,
    shipped_items,
    greatest(cancelled_at, first_shipped_at) as began_at,
    total_amount as amount_at_risk
from core.order_fulfillment
where status = 'cancelled' and shipment_count > 0
