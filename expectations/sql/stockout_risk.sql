-- grain: one row per stock position whose free stock is below the reorder point
-- offends when: not oversold, and at the latest snapshot `on_hand - allocated` is below the SKU's `reorder_point`
-- began_at: when the snapshot showing it was taken: snapshot_at
select
    position_id as entity_id,
    warehouse_id,
    sku,
    snapshot_at,
    on_hand,
    allocated,
    available,
    reorder_point,
    snapshot_at as began_at,
    (reorder_point - available) * unit_price as amount_at_risk
from core.stock_positions
where allocated <= on_hand and available < reorder_point
