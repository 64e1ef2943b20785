-- grain: one row per stock position where allocations exceed stock on hand
-- offends when: at the latest snapshot, `allocated` exceeds `on_hand`
-- began_at: when the stock snapshot showing it was taken: snapshot_at
select
    position_id as entity_id,
    warehouse_id,
    sku,
    snapshot_at,
    on_hand,
    allocated,
    allocated - on_hand as units_short,
    snapshot_at as began_at,
    (allocated - on_hand) * unit_price as amount_at_risk
from core.stock_positions
where allocated > on_hand
