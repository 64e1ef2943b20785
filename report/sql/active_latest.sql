-- grain: one row per exception active in the ledger now (open, acknowledged or reopened).
create or replace temp table report_active as
select
    exception_id, check_id, stage, entity_type, entity_id, owner, status, severity,
    opened_at, age_business_hours, amount_at_risk, evidence, acknowledged_by
from exceptions.ledger
where status <> 'resolved'
