-- grain: one row per shipment_id, as last delivered, known at as_of
-- typed, known at as_of and deduplicated by latest_shipments(), from the canonical model
create or replace table staging.shipments as
select * from latest_shipments();
