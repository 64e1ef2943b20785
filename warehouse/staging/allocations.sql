-- grain: one row per allocation_id, as last delivered, known at as_of
-- typed, known at as_of and deduplicated by latest_allocations(), from the canonical model
create or replace table staging.allocations as
select * from latest_allocations();
