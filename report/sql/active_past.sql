-- grain: one row per exception active at $as_of, rebuilt from the ledger's events up to then.
-- Severity and opening are as of then; owner, status and evidence are the ledger's now.
create or replace temp table report_active as
with events as (
    select
        exception_id,
        arg_max(event, as_of) as last_event,
        arg_max(severity, as_of) as severity,
        -- when the episode's problem began; events recorded before that was kept: when it was seen
        coalesce(
            arg_max(opened_at, as_of) filter (where event in ('new', 'reopened')),
            max(as_of) filter (where event in ('new', 'reopened'))
        ) as opened_at
    from exceptions.ledger_events
    where as_of <= $as_of::timestamptz
    group by exception_id
)

select
    ledger.exception_id, ledger.check_id, ledger.stage, ledger.entity_type, ledger.entity_id, ledger.owner,
    ledger.status, events.severity, events.opened_at,
    null::double as age_business_hours,  -- measured in Python, as of $as_of
    ledger.amount_at_risk, ledger.evidence, ledger.acknowledged_by
from events
inner join exceptions.ledger as ledger on events.exception_id = ledger.exception_id
where events.last_event <> 'resolved'
