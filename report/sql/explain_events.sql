-- grain: one row per ledger event of exception $exception_id (new, reopened, escalated, resolved), oldest first.
select as_of, run_id, event, severity, opened_at
from exceptions.ledger_events
where exception_id = $exception_id::varchar
order by as_of, run_id
