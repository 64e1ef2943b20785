-- grain: one row per (carrier, tracking_number, event_at, status), known at as_of
-- the version current at as_of, from staging.tracking_events_history by latest_tracking_events() (the canonical model)
create or replace table staging.tracking_events as
select * from latest_tracking_events();
