-- grain: one row per movement_id, as last delivered, known at as_of
-- the version current at as_of, from staging.stock_movements_history by latest_stock_movements() (the canonical model)
create or replace table staging.stock_movements as
select * replace (nullif(order_id, '') as order_id)
from latest_stock_movements();
