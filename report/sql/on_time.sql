-- grain: one row: the on-time figures the publication of $run_id stored (warehouse/published/on_time.sql).
select ship_due, ship_on_time, delivery_due, delivery_on_time
from published.on_time
where run_id = $run_id::varchar
