-- grain: one row per ledger event (new, reopened, escalated, resolved, returned) or action
-- (acknowledge, snooze...) of an exception active at the reported publication, up to its $as_of,
-- oldest first; detail is the severity the event left, or who acted.
select exception_id, as_of as happened_at, event as kind, severity as detail, null::varchar as note
from exceptions.ledger_events
where as_of <= $as_of::timestamptz and exception_id in (select exception_id from report_active)
union all
select exception_id, acted_at as happened_at, action as kind, actor as detail, note
from exceptions.ledger_actions
where acted_at <= $as_of::timestamptz and exception_id in (select exception_id from report_active)
order by exception_id, happened_at, kind
