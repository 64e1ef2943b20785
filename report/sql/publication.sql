-- grain: one row: the publication reported (the run's, or the newest) and the one before it.
with chosen as (
    select run_id, as_of, published_at
    from exceptions.publications
    where $run_id::varchar is null or run_id = $run_id::varchar
    order by as_of desc, published_at desc
    limit 1
)

select
    chosen.run_id,
    chosen.as_of,
    chosen.published_at,
    chosen.as_of = (select max(as_of) from exceptions.publications) as is_latest,
    (select max(as_of) from exceptions.publications where as_of < chosen.as_of) as previous_as_of
from chosen
