-- The staging skeleton, filled per canonical table from the model (sources/canonical.py) by
-- warehouse.database.history_sql and latest_macro_sql. The placeholders in braces are names
-- from the model, never data.
--
-- staging.{table}_history keeps, per entity, every version that was or is the one staging
-- shows at some as_of: the row that wins among the rows known at as_of (every known_at
-- column <= as_of), the latest by version, then the last landed. Such a row is "current"
-- from valid_from (when it became known; -infinity for a table without known_at) until
-- valid_to (when a winning row became known; null: still current). A row that never wins
-- at its own valid_from never wins later either: the row beating it stays known and keeps
-- beating it. So the versions of an entity are recomputed from its kept versions plus the
-- new raw rows only, and the result is the same as from all of raw.
--
-- Nothing here drops a row for good: landing tried these casts and quarantined the rows
-- they refuse, and rows with an empty known_at column (sources/canonical.py, required).

-- statement: the typed rows of the batches to fold (temp table fold_batches)
create or replace temp table fold_new as
select {casts}, {valid_from} as valid_from, _batch_id, _file, _loaded_at, _row_number
from raw.{table}
where _batch_id in (select batch_id from fold_batches)
    -- a row with an empty known_at column is never known (landing quarantines it anyway)
    and {known};

-- statement: the history table, shaped from the typed rows
create table if not exists staging.{table}_history as
select *, null::timestamptz as valid_to from fold_new limit 0;

-- statement: the kept versions of the entities the new rows touch, and the new rows
create or replace temp table fold_candidates as
select history.* exclude (valid_to)
from staging.{table}_history as history
semi join fold_new as incoming on {entity_join}
union all by name
select * from fold_new;

-- statement: those entities' versions go, to be recomputed below
delete from staging.{table}_history as history
where exists (select 1 from fold_new as incoming where {entity_join});

-- statement: per entity, the rows that win when they become known, each current until the next
insert into staging.{table}_history by name
with ranked as (
    select
        *,
        row_number() over (
            partition by {entity} order by {version}_loaded_at, _row_number, _batch_id, _file
        ) as rank_no
    from fold_candidates
),

winners as (
    select * exclude (rank_no)
    from ranked
    qualify rank_no = max(rank_no) over (
        partition by {entity} order by valid_from range between unbounded preceding and current row
    )
)

select *, lead(valid_from) over (partition by {entity} order by valid_from) as valid_to
from winners;

-- statement: latest_{table}(), the version of each entity current at as_of
create or replace macro latest_{table}() as table
select * exclude (valid_from, valid_to, _file, _loaded_at)
from staging.{table}_history
where valid_from <= getvariable('as_of')
    and (valid_to is null or valid_to > getvariable('as_of'))
