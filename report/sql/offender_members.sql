-- grain: one row per (dimension, name, exception) for the $top SKUs, warehouses and carriers of
-- report/sql/offenders.sql: which active exceptions each involves, so the page can filter to it.
-- Owners are left out: the list filters by owner from its own column.
with offenders as (
    select dimension, name
    from published.exception_links as links
    inner join report_active as active on links.exception_id = active.exception_id
    where links.run_id = $run_id::varchar and links.dimension <> 'owner'
    group by dimension, name
    qualify row_number() over (
        partition by dimension order by count(*) desc, sum(active.amount_at_risk) desc nulls last, name
    ) <= $top::integer
)

select links.dimension, links.name, links.exception_id
from published.exception_links as links
inner join offenders on links.dimension = offenders.dimension and links.name = offenders.name
where links.run_id = $run_id::varchar and links.exception_id in (select exception_id from report_active)
order by links.dimension, links.name, links.exception_id
