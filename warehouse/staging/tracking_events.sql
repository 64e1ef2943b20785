-- grain: one row per (carrier, tracking_number, event_at, status), known at as_of
-- typed, known at as_of and deduplicated by latest_tracking_events(), from the canonical model
create or replace table staging.tracking_events as
select * from latest_tracking_events();
