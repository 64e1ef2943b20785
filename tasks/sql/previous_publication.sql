-- grain: at most one row: the publication just before the run's own ($run_id), by window end
-- then publication time, so a re-run of a window compares with the run it repeats.
with this_run as (
    select as_of, published_at from exceptions.publications where run_id = $run_id::varchar
)

select publications.run_id, publications.as_of
from exceptions.publications as publications, this_run
where publications.as_of < this_run.as_of
   or (publications.as_of = this_run.as_of and publications.published_at < this_run.published_at)
order by publications.as_of desc, publications.published_at desc
limit 1
