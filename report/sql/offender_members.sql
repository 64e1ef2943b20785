-- grain: one row per (dimension, name, exception) for the worst offenders named in $dimensions and
-- $names (pairwise; report/sql/offenders.sql chose them): which exceptions each involves, so the
-- page can filter its list to one.
with chosen as (
    select unnest($dimensions::varchar[]) as dimension, unnest($names::varchar[]) as name
)

select links.dimension, links.name, links.exception_id
from published.exception_links as links
inner join chosen on links.dimension = chosen.dimension and links.name = chosen.name
where links.run_id = $run_id::varchar
