-- `retaguarda runs`: the latest runs, newest first, with what failed in or after each.
-- grain: one row per run; `errors` joins the run's audit.run_errors (a failed run's reason,
-- or what failed after a publication) oldest first; `total` repeats the count before the limit.
with errors as (
    select run_id, string_agg(error, '; ' order by failed_at) as errors
    from audit.run_errors
    group by run_id
),

exceptions as (
    select run_id, sum(row_count) as exceptions
    from audit.row_counts
    where step = 'exceptions'
    group by run_id
),

final as (
    select
        runs.run_id[:8] as run,
        runs.window_start,
        runs.status,
        runs.started_at as started,
        round(epoch(runs.finished_at) - epoch(runs.started_at), 1) as seconds,
        exceptions.exceptions,
        errors.errors,
        count(*) over () as total
    from audit.runs as runs
    left join exceptions on exceptions.run_id = runs.run_id
    left join errors on errors.run_id = runs.run_id
)

select * from final
order by started desc, run
limit $limit
