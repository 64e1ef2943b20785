-- grain: one row per shipment whose last carrier event is an exception or a failed attempt
-- offends when: the last event is `exception` or `failed_attempt`
select
    shipment_id as entity_id,
    order_id,
    carrier,
    tracking_number,
    last_status,
    last_event_at,
    last_location,
    order_total as amount_at_risk
from core.shipment_tracking
where last_status in ('exception', 'failed_attempt')
