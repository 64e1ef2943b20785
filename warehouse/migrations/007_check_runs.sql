-- audit.check_runs: per run, whether each check was evaluated and, when not, why
-- (disabled in settings, no rows of a table it needs, a column it needs entirely empty).
-- Written by tasks/applicability.py before the checks run; the summary, the artifacts and
-- the report read it. A check not evaluated leaves its open exceptions as they were.
create table audit.check_runs (
    run_id varchar not null,
    as_of timestamptz not null,
    check_id varchar not null,
    evaluated boolean not null,
    reason varchar,  -- null when evaluated
    primary key (run_id, check_id)
);
