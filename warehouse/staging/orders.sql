-- grain: one row per order_id, the latest version known at as_of
-- the version current at as_of, from staging.orders_history by latest_orders() (the canonical model)
create or replace table staging.orders as
select * from latest_orders();
