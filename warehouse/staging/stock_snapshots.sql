-- grain: one row per (snapshot_at, warehouse_id, sku), as last delivered, known at as_of
-- typed, known at as_of and deduplicated by latest_stock_snapshots(), from the canonical model
create or replace table staging.stock_snapshots as
select * from latest_stock_snapshots();
