-- grain: one row per movement_id, as last delivered, known at as_of
-- typed, known at as_of and deduplicated by latest_stock_movements(), from the canonical model
create or replace table staging.stock_movements as
select * replace (nullif(order_id, '') as order_id)
from latest_stock_movements();
