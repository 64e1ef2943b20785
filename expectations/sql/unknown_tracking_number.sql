-- grain: one row per shipment whose tracking number is malformed or unknown to its carrier
-- offends when: tracking number malformed for its carrier, or the carrier reported no event at all for it `first_scan_sla_business_hours` business hours after `shipped_at`
select
    shipment_id as entity_id,
    order_id,
    carrier,
    tracking_number,
    shipped_at,
    tracking_well_formed,
    event_count,
    order_total as amount_at_risk
from core.shipment_tracking
where not tracking_well_formed
   or (
       event_count = 0
       and business_hours_between(shipped_at, getvariable('as_of'))
           > getvariable('first_scan_sla_business_hours')
   )
