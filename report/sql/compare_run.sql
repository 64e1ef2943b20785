-- grain: at most one row: the run published before $as_of (with its snapshot, published.on_time) whose
-- as_of is nearest to $target and no further from it than $tolerance_hours (null: any distance);
-- of runs equally near, the later window, then the later publication of it.
with snapshots as (
    select on_time.run_id, on_time.as_of, publications.published_at
    from published.on_time as on_time
    inner join exceptions.publications as publications on on_time.run_id = publications.run_id
    where on_time.as_of < $as_of::timestamptz
)

select run_id, as_of
from snapshots
where $tolerance_hours::double is null
   or abs(epoch(as_of) - epoch($target::timestamptz)) <= $tolerance_hours::double * 3600
order by abs(epoch(as_of) - epoch($target::timestamptz)), as_of desc, published_at desc
limit 1
