-- grain: one row per stage and severity with active exceptions at $as_of.
select stage, severity, sum(exceptions)::bigint as exceptions, sum(amount_at_risk) as money_at_risk
from exceptions.history
where as_of = $as_of::timestamptz and status <> 'resolved'
group by stage, severity
order by stage, severity
