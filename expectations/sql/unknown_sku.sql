-- grain: one row per order line naming a SKU the catalog does not know
-- offends when: fields valid, and the line's SKU is not in the SKU catalog
-- began_at: when the order was placed with that line: placed_at
with unknown as (
    select unnest(unknown_sku_lines) as line_key, placed_at
    from core.order_capture
    where fields_valid and len(unknown_sku_lines) > 0
)

select
    unknown.line_key as entity_id,
    lines.order_id,
    lines.line_no,
    lines.sku,
    lines.quantity,
    lines.unit_price,
    unknown.placed_at as began_at,
    lines.quantity * lines.unit_price as amount_at_risk
from unknown
inner join staging.order_lines as lines
    on unknown.line_key = lines.order_id || ':' || lines.line_no
