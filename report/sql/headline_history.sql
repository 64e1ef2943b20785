-- grain: one row: active exceptions, those being handled, and their money at risk, as of $as_of.
-- Money counts each entity once as its publication measured it; a publication older than that
-- measure (money_at_risk null) falls back to the per-check sum.
select
    coalesce(sum(exceptions), 0)::bigint as open,
    coalesce(sum(exceptions) filter (where status = 'acknowledged'), 0)::bigint as acknowledged,
    coalesce(
        (select max(money_at_risk) from exceptions.publications where as_of = $as_of::timestamptz),
        sum(amount_at_risk),
        0
    ) as money_at_risk
from exceptions.history
where as_of = $as_of::timestamptz and status <> 'resolved'
