-- grain: one row per shipment returned to sender with no return movement in stock since
-- offends when: returned to sender more than `restock_sla_business_hours` ago and no `return` movement for its order since
-- began_at: when the restock SLA expired: returned_at + restock_sla_business_hours (business time)
select
    shipment_id as entity_id,
    order_id,
    warehouse_id,
    carrier,
    tracking_number,
    returned_at,
    last_return_movement_at,
    round(business_hours_between(returned_at, getvariable('as_of')), 1) as business_hours_since_return,
    add_business_hours(returned_at, getvariable('restock_sla_business_hours')) as began_at,
    order_total as amount_at_risk
from core.shipment_tracking
where returned_at is not null
  and (last_return_movement_at is null or last_return_movement_at < returned_at)
  and business_hours_between(returned_at, getvariable('as_of')) > getvariable('restock_sla_business_hours')
