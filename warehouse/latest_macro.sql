-- The skeleton every staging model starts from, filled per canonical table from the model
-- (sources/canonical.py) by warehouse.database.latest_macro_sql: the raw rows cast to
-- their types, only those known at as_of, one row per entity, the latest version, then
-- the last landed. The placeholders in braces are names from the model, never data.
-- Nothing here drops a row for good: landing tried these casts and quarantined the rows
-- they refuse, and rows with an empty known_at column (sources/canonical.py, required), so
-- the known_at filter only defers a row to a later as_of.
create or replace macro latest_{table}() as table
with typed as (
    select {casts}, _batch_id, _loaded_at, _row_number
    from raw.{table}
    where {known_at}
)

select * exclude (_loaded_at)
from typed
qualify row_number() over (
    partition by {entity} order by {version}_loaded_at desc, _row_number desc
) = 1
