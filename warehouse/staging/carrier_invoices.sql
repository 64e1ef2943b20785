-- grain: one row per invoice_id, as last delivered, known at as_of
-- the version current at as_of, from staging.carrier_invoices_history by latest_carrier_invoices() (the canonical model)
create or replace table staging.carrier_invoices as
select * from latest_carrier_invoices();
