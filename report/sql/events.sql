-- grain: one row per ledger event kind at $as_of (new, reopened, escalated, resolved): exceptions.
select event, count(distinct exception_id) as exceptions
from exceptions.ledger_events
where as_of = $as_of::timestamptz
group by event
