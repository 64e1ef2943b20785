-- grain: one row per publication in the 7 days up to the latest one: how many exceptions of check
-- $check_id were active (open, acknowledged or reopened) after it.
with latest as (
    select max(as_of) as as_of from exceptions.publications
),

runs as (
    select publications.run_id, publications.as_of
    from exceptions.publications, latest
    where publications.as_of > latest.as_of - interval 7 day
)

select runs.as_of, runs.run_id, count(published.exception_id) as active
from runs
left join published.exceptions as published
    on runs.run_id = published.run_id and published.check_id = $check_id::varchar
group by runs.as_of, runs.run_id
order by runs.as_of, runs.run_id
