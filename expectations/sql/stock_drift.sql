-- grain: one row per stock position whose snapshot disagrees with the previous one plus movements
-- offends when: the latest snapshot's `on_hand` differs from the previous snapshot's plus the movements in between (previous < occurred_at <= latest)
-- began_at: when the disagreeing snapshot was taken: snapshot_at
select
    position_id as entity_id,
    warehouse_id,
    sku,
    previous_snapshot_at,
    previous_on_hand,
    movements_delta,
    snapshot_at,
    expected_on_hand,
    on_hand,
    on_hand - expected_on_hand as drift_units,
    snapshot_at as began_at,
    abs(on_hand - expected_on_hand) * unit_price as amount_at_risk
from core.stock_positions
where previous_snapshot_at is not null and on_hand <> expected_on_hand
