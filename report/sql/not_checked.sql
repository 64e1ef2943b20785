-- grain: one row per check the published run did not evaluate, with why: reason codes and their
-- table and column (audit.check_runs.reasons, tasks/applicability.py).
select check_id, reasons
from audit.check_runs
where run_id = $run_id and not evaluated
order by check_id
