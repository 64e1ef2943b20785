-- grain: one row per paid order allocated late, or not yet allocated past the SLA
-- offends when: paid (first capture = paid_at), not cancelled, and the first allocation came more than `allocation_sla_business_hours` after paid_at, or has not come and that much business time has passed
-- began_at: when the allocation SLA expired: paid_at + allocation_sla_business_hours (business time)
select
    order_id as entity_id,
    status,
    paid_at,
    first_allocated_at,
    round(business_hours_between(paid_at, coalesce(first_allocated_at, getvariable('as_of'))), 1)
        as business_hours_to_allocate,
    add_business_hours(paid_at, getvariable('allocation_sla_business_hours')) as began_at,
    total_amount as amount_at_risk
from core.order_payments
where paid_at is not null
  and status <> 'cancelled'
  and business_hours_between(paid_at, coalesce(first_allocated_at, getvariable('as_of')))
      > getvariable('allocation_sla_business_hours')
