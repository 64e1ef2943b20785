-- grain: one row per (dimension, name) among the $top of each dimension (sku, warehouse, carrier,
-- owner): the active exceptions that involve it and their money at risk, most exceptions first.
-- What an exception involves was resolved when $run_id published (warehouse/published/exception_links.sql).
with totals as (
    select links.dimension, links.name, count(*) as exceptions, sum(active.amount_at_risk) as money_at_risk
    from published.exception_links as links
    inner join report_active as active on links.exception_id = active.exception_id
    where links.run_id = $run_id::varchar
    group by links.dimension, links.name
),

ranked as (
    select
        *,
        row_number() over (partition by dimension order by exceptions desc, money_at_risk desc nulls last, name) as rank
    from totals
)

select dimension, name, exceptions, money_at_risk
from ranked
where rank <= $top::integer
order by dimension, rank
