-- grain: one row per exception active at the publication of $run_id, as that publication left it
-- (status, severity, owner, age and evidence as of then), from its published snapshot.
create or replace temp table report_active as
select
    exception_id, check_id, stage, entity_type, entity_id, owner, status, severity,
    opened_at, age_business_hours, amount_at_risk, evidence, acknowledged_by
from published.exceptions
where run_id = $run_id::varchar
