-- From this version on, the raw tables follow the canonical model (sources/canonical.py):
-- after the versioned migrations, warehouse.database.sync_raw_tables creates any raw table
-- the model has and the file lacks, and adds the columns the model gained. Migrations
-- 001-003 stay as they were: a new file still gets its raw tables from 001 first, which
-- tests/test_migrations.py checks agree with the model. Nothing else changes here.
select 1;
