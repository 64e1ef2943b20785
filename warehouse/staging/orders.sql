-- grain: one row per order_id, the latest version known at as_of
-- typed, known at as_of and deduplicated by latest_orders(), from the canonical model
create or replace table staging.orders as
select * from latest_orders();
