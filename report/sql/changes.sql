-- grain: one row per (run of $run_ids, dimension, name): the exceptions open in that run's snapshot
-- (published.exceptions) and their money at risk, per stage, per check and per owner. Money is
-- each check's own: an order failing two checks counts in both.
select
    run_id,
    case
        when grouping(stage) = 0 then 'stage'
        when grouping(check_id) = 0 then 'check'
        else 'owner'
    end as dimension,
    coalesce(stage, check_id, owner) as name,
    count(*) as exceptions,
    coalesce(sum(amount_at_risk), 0) as money_at_risk
from published.exceptions
where list_contains($run_ids::varchar[], run_id)
group by grouping sets ((run_id, stage), (run_id, check_id), (run_id, owner))
order by run_id, dimension, name
