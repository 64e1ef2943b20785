-- grain: one row per sku, as last delivered
-- typed, known at as_of and deduplicated by latest_skus(), from the canonical model
create or replace table staging.skus as
select * from latest_skus();
