-- grain: one row per allocation_id, as last delivered, known at as_of
-- the version current at as_of, from staging.allocations_history by latest_allocations() (the canonical model)
create or replace table staging.allocations as
select * from latest_allocations();
