-- grain: one row per (shipment_id, sku), as last delivered
-- the last delivered, by latest_shipment_lines() (staging.shipment_lines_history); a line is
-- known at as_of when its shipment is. A line whose shipment row was quarantined waits
-- here for it; its order is reported by order_inputs_quarantined meanwhile.
create or replace table staging.shipment_lines as
select lines.*
from latest_shipment_lines() as lines
semi join staging.shipments as shipments on lines.shipment_id = shipments.shipment_id;
