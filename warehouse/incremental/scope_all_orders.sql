-- grain: one row per order_id in staging: a full build recomputes every order's core facts.
create or replace temp table scope_orders as
select distinct order_id from staging.orders where order_id is not null;
