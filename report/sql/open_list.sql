-- grain: one row per active exception, worst first ($severities lists them lowest first).
select
    exception_id, check_id, stage, entity_type, entity_id, owner, status, severity,
    opened_at, age_business_hours, amount_at_risk, evidence, acknowledged_by
from report_active
order by
    list_position($severities::varchar[], severity) desc,
    opened_at,
    amount_at_risk desc nulls last,
    check_id,
    entity_id
