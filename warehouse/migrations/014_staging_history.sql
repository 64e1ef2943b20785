-- Staging keeps each key's versions (staging.<table>_history, created by the first build from
-- the canonical model, warehouse/latest_macro.sql). This records which raw batches are folded
-- in, with how many rows each had then: a batch not here, or whose raw row count changed, is
-- folded in by the next build. No key: a batch is replaced by delete then insert.
create table staging.folded_batches (
    table_name varchar not null, batch_id varchar not null, raw_rows bigint not null,
    folded_at timestamptz not null
);
