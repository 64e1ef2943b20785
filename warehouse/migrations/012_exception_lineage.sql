-- published.exception_lineage: the input rows each exception involves, named by where they were
-- read (source, file, row number: the raw lineage), so `retaguarda show` and the report can say
-- where an exception comes from without reading raw, staging or core.
-- Written by the publish transaction for the active exceptions that have none yet, whose evidence
-- changed since theirs was written, or that the run reopened (warehouse/published/lineage_due.sql);
-- kept while the exception is in the ledger, deleted with it by retention.
create table published.exception_lineage (
    exception_id varchar not null,
    run_id varchar not null,        -- the run that wrote it
    as_of timestamptz not null,     -- that run's window end
    evidence_md5 varchar not null,  -- md5 of the evidence it was written for
    table_name varchar not null,    -- the canonical raw table, or quarantine
    row_key varchar not null,       -- the row's key in its table, e.g. order_id=ORD-1, line_no=2
    source varchar not null,        -- raw _source
    file varchar not null,          -- raw _file
    row_number bigint not null      -- raw _row_number: CSV data row, JSON-lines line, JSON element; 0 a whole file
);
