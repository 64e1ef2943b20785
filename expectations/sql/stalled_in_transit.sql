-- grain: one row per shipment with no carrier progress for N working days
-- offends when: the last event is `picked_up` or `in_transit` and more than `stalled_business_days` working days have passed since
-- began_at: when the parcel went silent past the limit: last_event_at + stalled_business_days (business time)
select
    shipment_id as entity_id,
    order_id,
    carrier,
    tracking_number,
    last_status,
    last_event_at,
    last_location,
    round(business_hours_between(last_event_at, getvariable('as_of')) / getvariable('business_day_hours'), 1)
        as working_days_silent,
    add_business_hours(
        last_event_at, getvariable('stalled_business_days') * getvariable('business_day_hours')
    ) as began_at,
    order_total as amount_at_risk
from core.shipment_tracking
where last_status in ('picked_up', 'in_transit')
  and business_hours_between(last_event_at, getvariable('as_of'))
      > getvariable('stalled_business_days') * getvariable('business_day_hours')
