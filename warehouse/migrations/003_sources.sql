-- Bring-your-own sources (docs/sources.md): quarantined input rows and incremental cursors.

-- raw.quarantine: every input row kept out of raw.*, with why and where it came from.
-- Per batch: audit.batches.rows_in = rows_loaded + rows_rejected, and rows_rejected is the
-- number of rows here with that _batch_id. _row_number 0 stands for a whole unreadable file.
create table raw.quarantine (
    table_name varchar not null,  -- the canonical raw table the row was meant for
    reason varchar not null,      -- a stable code: malformed_row, wrong_type, unknown_value, ...
    detail varchar not null,      -- the column, the value and what was expected
    record varchar not null,      -- the row as read, JSON text
    _source varchar not null, _batch_id varchar not null, _file varchar not null,
    _row_number bigint not null, _loaded_at timestamptz not null
);

-- audit.source_cursors: per API source, the latest updated_at landed so far. The next pull
-- asks for changes since this mark minus the source's lookback.
create table audit.source_cursors (
    source varchar primary key,
    high_water_mark timestamptz not null,
    batch_id varchar not null,    -- the batch that moved it
    updated_at timestamptz not null
);
