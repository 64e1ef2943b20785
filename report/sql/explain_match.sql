-- grain: one row per ledger exception whose id starts with $prefix (at most three: one is the answer,
-- more say the prefix is ambiguous).
select exception_id
from exceptions.ledger
where starts_with(exception_id, $prefix::varchar)
order by exception_id
limit 3
