-- grain: one row per check open in some snapshot of the 7 days up to $as_of: the exceptions it had
-- open at each published run of those days (zero included), oldest first. Of two publications of
-- one window, the later one counts.
with runs as (
    select on_time.run_id, on_time.as_of
    from published.on_time as on_time
    inner join exceptions.publications as publications on on_time.run_id = publications.run_id
    where on_time.as_of > $as_of::timestamptz - interval 7 day and on_time.as_of <= $as_of::timestamptz
    qualify row_number() over (partition by on_time.as_of order by publications.published_at desc) = 1
),

counts as (
    select snapshot.run_id, snapshot.check_id, count(*) as exceptions
    from published.exceptions as snapshot
    where snapshot.run_id in (select run_id from runs)
    group by snapshot.run_id, snapshot.check_id
),

checks as (
    select distinct check_id from counts
)

select
    checks.check_id,
    list(runs.as_of order by runs.as_of) as as_of,
    list(coalesce(counts.exceptions, 0) order by runs.as_of) as exceptions
from checks
cross join runs
left join counts on counts.run_id = runs.run_id and counts.check_id = checks.check_id
group by checks.check_id
order by checks.check_id
