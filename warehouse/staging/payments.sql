-- grain: one row per payment_id, as last delivered, known at as_of
-- the version current at as_of (latest order version first), from staging.payments_history by
-- latest_payments() (the canonical model); the order version is not needed past here.
create or replace table staging.payments as
select * exclude (order_updated_at)
from latest_payments();
