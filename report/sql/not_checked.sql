-- grain: one row per check the published run did not evaluate, with why (audit.check_runs).
select check_id, reason
from audit.check_runs
where run_id = $run_id and not evaluated
order by check_id
