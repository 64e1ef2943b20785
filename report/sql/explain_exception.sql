-- grain: one row: the ledger row of exception $exception_id, with its check as configured at the
-- last publication (exceptions.checks; null columns for a check no longer published).
select
    ledger.exception_id,
    ledger.check_id,
    ledger.stage,
    ledger.entity_type,
    ledger.entity_id,
    ledger.owner,
    ledger.status,
    ledger.base_severity,
    ledger.severity,
    ledger.first_seen_at,
    ledger.opened_at,
    ledger.last_seen_at,
    ledger.resolved_at,
    ledger.occurrences,
    ledger.reopen_count,
    ledger.age_business_hours,
    ledger.amount_at_risk,
    ledger.evidence,
    ledger.acknowledged_by,
    ledger.acknowledged_at,
    ledger.note,
    ledger.snoozed_until,
    checks.severity as check_severity,
    checks.owner as check_owner,
    checks.catches as check_catches
from exceptions.ledger as ledger
left join exceptions.checks as checks on ledger.check_id = checks.check_id
where ledger.exception_id = $exception_id::varchar
