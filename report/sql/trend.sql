-- grain: one row per published as_of in the 7 days up to $as_of: active exceptions by severity
-- (two aligned lists), their money at risk (each order once, as published; the per-check sum
-- before that was kept), and what came in and went out at that run.
with published as (
    select as_of, arg_max(money_at_risk, published_at) as money_at_risk
    from exceptions.publications
    where as_of > $as_of::timestamptz - interval 7 day and as_of <= $as_of::timestamptz
    group by as_of
),

by_severity as (
    select as_of, severity, sum(exceptions)::bigint as exceptions, sum(amount_at_risk) as money_at_risk
    from exceptions.history
    where status <> 'resolved' and as_of in (select as_of from published)
    group by as_of, severity
),

active as (
    select
        as_of,
        list(severity order by severity) as severities,
        list(exceptions order by severity) as exceptions,
        sum(money_at_risk) as money_at_risk
    from by_severity
    group by as_of
),

changes as (
    select
        as_of,
        count(distinct exception_id) filter (where event in ('new', 'reopened')) as arrived,
        count(distinct exception_id) filter (where event = 'resolved') as resolved
    from exceptions.ledger_events
    where as_of in (select as_of from published)
    group by as_of
)

select
    published.as_of,
    coalesce(active.severities, []) as severities,
    coalesce(active.exceptions, []) as exceptions,
    coalesce(published.money_at_risk, active.money_at_risk, 0) as money_at_risk,
    coalesce(changes.arrived, 0) as arrived,
    coalesce(changes.resolved, 0) as resolved
from published
left join active on published.as_of = active.as_of
left join changes on published.as_of = changes.as_of
order by published.as_of
