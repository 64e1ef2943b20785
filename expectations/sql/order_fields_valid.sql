-- grain: one row per order with invalid or missing fields
select
    order_id as entity_id,
    array_to_string(invalid_fields, '; ') as problems,
    customer_id,
    placed_at,
    currency,
    total_amount,
    total_amount as amount_at_risk
from core.order_capture
where not fields_valid
