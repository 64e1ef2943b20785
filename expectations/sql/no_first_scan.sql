-- grain: one row per shipment with a label but no carrier scan within the SLA
-- offends when: well-formed tracking number the carrier created a label for, but no scan (any status after `label_created`) within `first_scan_sla_business_hours` of `shipped_at`
-- began_at: when the scan SLA expired: shipped_at + first_scan_sla_business_hours (business time)
select
    shipment_id as entity_id,
    order_id,
    carrier,
    tracking_number,
    shipped_at,
    label_created_at,
    first_scan_at,
    round(business_hours_between(shipped_at, coalesce(first_scan_at, getvariable('as_of'))), 1)
        as business_hours_to_scan,
    add_business_hours(shipped_at, getvariable('first_scan_sla_business_hours')) as began_at,
    order_total as amount_at_risk
from core.shipment_tracking
where tracking_well_formed
  and label_created_at is not null
  and business_hours_between(shipped_at, coalesce(first_scan_at, getvariable('as_of')))
      > getvariable('first_scan_sla_business_hours')
