-- grain: one row per order with invalid or missing fields
-- offends when: `customer_id` or `placed_at` missing; `total_amount`, `shipping_amount` or `discount_amount` negative; `currency` not in `accepted_currencies`; `placed_at` later than `as_of` plus `clock_skew_minutes`
-- began_at: when the order was placed; the updated_at of the version at hand when placed_at
-- is missing or in the future (then it cannot be trusted)
select
    order_id as entity_id,
    array_to_string(invalid_fields, '; ') as problems,
    customer_id,
    placed_at,
    currency,
    total_amount,
    case when placed_at <= getvariable('as_of') then placed_at else updated_at end as began_at,
    total_amount as amount_at_risk
from core.order_capture
where not fields_valid
