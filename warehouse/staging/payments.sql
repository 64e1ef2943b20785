-- grain: one row per payment_id, as last delivered, known at as_of
-- typed, known at as_of and deduplicated (latest order version first) by latest_payments(),
-- from the canonical model; the order version is not needed past here.
create or replace table staging.payments as
select * exclude (order_updated_at)
from latest_payments();
