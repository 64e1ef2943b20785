-- grain: one row per acknowledgement or snooze of exception $exception_id, as people gave them, oldest first.
select acted_at, action, actor, note, snoozed_until
from exceptions.ledger_actions
where exception_id = $exception_id::varchar
order by acted_at
