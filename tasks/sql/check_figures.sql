-- grain: one row per check with active exceptions at the run's publication ($run_id) or at the
-- one before it ($previous_run_id), or with ledger events in the run: what the run's summary
-- artifact shows. Active is anything not resolved (open, acknowledged, reopened).
with now_active as (
    select check_id, count(*) as active, sum(amount_at_risk) as money_at_risk
    from published.exceptions
    where run_id = $run_id::varchar
    group by check_id
),

before_active as (
    select check_id, count(*) as active
    from published.exceptions
    where run_id = $previous_run_id::varchar
    group by check_id
),

changes as (
    select
        ledger.check_id,
        count(*) filter (where events.event = 'new') as new,
        count(*) filter (where events.event = 'reopened') as reopened,
        count(*) filter (where events.event = 'escalated') as escalated,
        count(*) filter (where events.event = 'resolved') as resolved
    from exceptions.ledger_events as events
    inner join exceptions.ledger as ledger on events.exception_id = ledger.exception_id
    where events.run_id = $run_id::varchar
    group by ledger.check_id
),

checks as (
    select check_id from now_active
    union
    select check_id from before_active
    union
    select check_id from changes
),

final as (
    select
        checks.check_id,
        coalesce(now_active.active, 0) as active,
        coalesce(before_active.active, 0) as active_before,
        coalesce(changes.new, 0) as new,
        coalesce(changes.reopened, 0) as reopened,
        coalesce(changes.escalated, 0) as escalated,
        coalesce(changes.resolved, 0) as resolved,
        coalesce(now_active.money_at_risk, 0) as money_at_risk
    from checks
    left join now_active on checks.check_id = now_active.check_id
    left join before_active on checks.check_id = before_active.check_id
    left join changes on checks.check_id = changes.check_id
)

select * from final order by check_id
