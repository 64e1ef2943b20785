-- grain: one row per invoice_id, as last delivered, known at as_of
-- typed, known at as_of and deduplicated by latest_carrier_invoices(), from the canonical model
create or replace table staging.carrier_invoices as
select * from latest_carrier_invoices();
