-- grain: one row per order whose total disagrees with its lines
-- offends when: fields valid, and sum(quantity x unit_price) + shipping_amount - discount_amount differs from total_amount by more than `money_tolerance`
-- began_at: when the order was placed with the wrong total: placed_at
select
    order_id as entity_id,
    line_count,
    lines_amount,
    shipping_amount,
    discount_amount,
    expected_total,
    total_amount,
    total_amount - expected_total as difference,
    placed_at as began_at,
    abs(total_amount - expected_total) as amount_at_risk
from core.order_capture
where fields_valid and total_mismatch
