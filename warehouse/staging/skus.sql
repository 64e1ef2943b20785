-- grain: one row per sku, as last delivered
-- the version current at as_of, from staging.skus_history by latest_skus() (the canonical model)
create or replace table staging.skus as
select * from latest_skus();
