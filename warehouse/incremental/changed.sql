-- changed_{table}: every version of each {table} entity whose staging row may differ from the
-- previous build's. An entity qualifies when a batch folded since that build brought one of its
-- versions (new, late or re-delivered rows), or when one of its versions starts or ends between
-- the two builds' as_of (either way round: a backfill goes back in time). All its versions are
-- kept, so a row that moved (a shipment to another order) names both sides.
-- Filled per canonical table by warehouse.incremental; the names in braces come from the model.
create or replace temp table changed_{table} as
with new_batches as (
    select batch_id from staging.folded_batches where table_name = $table_name and folded_at > $folded_through
),

touched as (
    select {entity}
    from staging.{table}_history
    where _batch_id in (select batch_id from new_batches)
        or (valid_from > $low and valid_from <= $high)
        or (valid_to > $low and valid_to <= $high)
)

select * from staging.{table}_history
where ({entity}) in (select ({entity}) from touched);
