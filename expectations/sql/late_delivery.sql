-- grain: one row per fully delivered order delivered after its promise
-- offends when: every shipment delivered, the last delivery after `promised_delivery_by`
-- began_at: when the delivery promise was missed: promised_delivery_by
select
    order_id as entity_id,
    promised_delivery_by,
    last_delivered_at,
    round((epoch(last_delivered_at) - epoch(promised_delivery_by)) / 3600, 1) as hours_late,
    promised_delivery_by as began_at,
    total_amount as amount_at_risk
from core.order_delivery
where all_delivered and last_delivered_at > promised_delivery_by
