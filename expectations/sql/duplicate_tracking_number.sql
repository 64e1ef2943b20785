-- grain: one row per tracking number found on more than one shipment
-- offends when: the same tracking number is on more than one shipment
-- began_at: when the number's second shipment went out: the second-earliest shipped_at
select
    tracking_number as entity_id,
    min(carrier) as carrier,
    count(*) as shipment_count,
    string_agg(shipment_id, ', ' order by shipment_id) as shipments,
    string_agg(order_id, ', ' order by shipment_id) as orders,
    list_sort(list(shipped_at))[2] as began_at,
    sum(order_total) as amount_at_risk
from core.shipment_tracking
where shipments_with_number > 1
group by tracking_number
