-- grain: one row per shipment whose last carrier event is an exception or a failed attempt
-- offends when: the last event is `exception` or `failed_attempt`
-- began_at: when the carrier reported the exception or failed attempt: last_event_at
select
    shipment_id as entity_id,
    order_id,
    carrier,
    tracking_number,
    last_status,
    last_event_at,
    last_location,
    last_event_at as began_at,
    order_total as amount_at_risk
from core.shipment_tracking
where last_status in ('exception', 'failed_attempt')
