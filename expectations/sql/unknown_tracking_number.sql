-- grain: one row per shipment whose tracking number is malformed or unknown to its carrier
-- offends when: tracking number malformed for its carrier, or the carrier reported no event at all for it `first_scan_sla_business_hours` business hours after `shipped_at`
-- began_at: a malformed number when the parcel shipped (shipped_at); an unknown one when the
-- scan SLA expired: shipped_at + first_scan_sla_business_hours (business time)
select
    shipment_id as entity_id,
    order_id,
    carrier,
    tracking_number,
    shipped_at,
    tracking_well_formed,
    event_count,
    case
        when not tracking_well_formed then shipped_at
        else add_business_hours(shipped_at, getvariable('first_scan_sla_business_hours'))
    end as began_at,
    order_total as amount_at_risk
from core.shipment_tracking
where not tracking_well_formed
   or (
       event_count = 0
       and business_hours_between(shipped_at, getvariable('as_of'))
           > getvariable('first_scan_sla_business_hours')
   )
