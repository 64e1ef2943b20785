-- grain: one row per shipment_id, as last delivered, known at as_of
-- the version current at as_of, from staging.shipments_history by latest_shipments() (the canonical model)
create or replace table staging.shipments as
select * from latest_shipments();
