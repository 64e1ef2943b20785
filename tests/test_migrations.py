"""The warehouse file records its schema version: older files migrate, newer ones are refused."""

from __future__ import annotations

import pytest
from conftest import AS_OF

from sources.canonical import TABLES
from warehouse.database import MIGRATIONS, SCHEMA_VERSION, WarehouseError, connect, migrate, schema_version


def test_an_older_file_is_migrated_and_keeps_its_data(tmp_path):
    path = tmp_path / "old.duckdb"
    con = connect(path)
    con.execute(MIGRATIONS[0].read_text())  # a file as the first release left it
    con.execute("create table audit.schema_version (version integer primary key, name varchar not null, "
                "applied_at timestamptz not null)")
    con.execute("insert into audit.schema_version values (1, ?, ?)", [MIGRATIONS[0].name, AS_OF])
    con.execute("insert into audit.runs values ('r1', '', ?, ?, ?, ?, 'completed')", [AS_OF] * 4)
    assert migrate(con, AS_OF) == SCHEMA_VERSION > 1
    assert schema_version(con) == SCHEMA_VERSION
    assert con.execute("select run_id from audit.runs").fetchall() == [("r1",)]
    assert con.execute("select count(*) from exceptions.ledger").fetchone() == (0,)


def test_a_newer_file_is_refused_untouched(tmp_path):
    con = connect(tmp_path / "new.duckdb")
    migrate(con, AS_OF)
    con.execute("insert into audit.schema_version values (?, 'from the future', ?)", [SCHEMA_VERSION + 1, AS_OF])
    with pytest.raises(WarehouseError, match=f"version {SCHEMA_VERSION + 1} is newer"):
        migrate(con, AS_OF)


def test_migrating_twice_changes_nothing(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    migrate(con, AS_OF)
    migrate(con, AS_OF)
    assert con.execute("select count(*) from audit.schema_version").fetchone() == (SCHEMA_VERSION,)


def _raw_columns(con) -> dict[str, list[str]]:
    columns: dict[str, list[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from information_schema.columns where table_schema = 'raw' "
        "and table_name <> 'quarantine' order by table_name, ordinal_position"
    ).fetchall():
        columns.setdefault(table, []).append(column)
    return columns


def test_the_raw_tables_are_those_of_the_canonical_model(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    migrate(con, AS_OF)
    lineage = ["_source", "_batch_id", "_file", "_row_number", "_loaded_at"]
    assert _raw_columns(con) == {table: [*model.columns, *lineage] for table, model in TABLES.items()}


def test_a_column_the_model_gained_is_added_on_upgrade(tmp_path):
    con = connect(tmp_path / "w.duckdb")
    migrate(con, AS_OF)
    con.execute("insert into raw.skus (sku, _source, _batch_id, _file, _row_number, _loaded_at) "
                "values ('S-1', 't', 'b', 'f', 1, ?)", [AS_OF])
    con.execute("alter table raw.skus drop column reorder_point")  # a file from before the model had it
    con.execute("drop table raw.carrier_invoices")  # and before it had this table
    migrate(con, AS_OF)
    assert "reorder_point" in _raw_columns(con)["skus"]
    assert "carrier_invoices" in _raw_columns(con)
    assert con.execute("select sku, reorder_point from raw.skus").fetchall() == [("S-1", None)]
