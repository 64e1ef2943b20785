"""The warehouse file records its schema version: older files migrate, newer ones are refused."""

from __future__ import annotations

import pytest
from conftest import AS_OF

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
