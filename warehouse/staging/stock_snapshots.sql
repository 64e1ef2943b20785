-- grain: one row per (snapshot_at, warehouse_id, sku), as last delivered, known at as_of
-- the version current at as_of, from staging.stock_snapshots_history by latest_stock_snapshots() (the canonical model)
create or replace table staging.stock_snapshots as
select * from latest_stock_snapshots();
