-- grain: one row per fulfilled order whose shipped items differ from its lines
-- offends when: fulfilled, and the shipped (sku, quantity) totals differ from the ordered ones
-- began_at: when the order's last shipment went out with the wrong items: last_shipped_at
select
    order_id as entity_id,
    status,
    ordered_items,
    shipped_items,
    shipment_count,
    last_shipped_at as began_at,
    total_amount as amount_at_risk
from core.order_fulfillment
where fulfilled and items_differ
