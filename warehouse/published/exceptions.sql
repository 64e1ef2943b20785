-- grain: one row per exception active in the ledger just published at $as_of, as it stood then.
insert into published.exceptions by name
select $run_id::varchar as run_id, $as_of::timestamptz as as_of, *
from exceptions.ledger
where status <> 'resolved'
