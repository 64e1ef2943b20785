"""The DuckLake warehouse kind on a real PostgreSQL catalog: the same publication as a DuckDB file,
readers during a run, a past window read by time travel, and one writer per shop."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import write_settings
from postgres_server import postgres_server  # noqa: F401  (the fixture)

from flows.hourly_reconciliation import hourly_reconciliation
from retaguarda.cli import main
from retaguarda.settings import load_settings
from warehouse.access import open_reader
from warehouse.database import SCHEMA_VERSION, WarehouseBusy, migrate, schema_version
from warehouse.ducklake import Lake, connect, dialect, published_snapshot
from warehouse.lock import writer_lock

ROOT = Path(__file__).resolve().parent.parent
FIRST = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
HOURS = [FIRST, FIRST + timedelta(hours=1)]
LEDGER_SQL = (
    "select exception_id, check_id, entity_id, status, severity, opened_at, last_seen_at, resolved_at "
    "from exceptions.ledger order by exception_id"
)
LATEST_SQL = "select run_id from exceptions.publications order by as_of desc, published_at desc limit 1"


def lake_settings(server, folder: Path, schema: str = "shop") -> dict:
    return {"kind": "ducklake", "catalog": f"postgres:{server.dsn('lake')}",
            "data_path": str(folder / "lake") + "/", "metadata_schema": schema}


@pytest.fixture(scope="module")
def lake_db(postgres_server):  # noqa: F811
    postgres_server.create_database("lake")
    return postgres_server


@pytest.fixture(scope="module")
def two_hours(tmp_path_factory, prefect_server, lake_db):
    """The same demo world, two hours in a row, into a DuckDB file and into a DuckLake.

    Returns {kind: (settings file, [ledger after each hour])}; the lake's ledger after the
    first hour is read before the second run, from the lake itself.
    """
    out = {}
    for kind in ("duckdb", "ducklake"):
        folder = tmp_path_factory.mktemp(kind)
        warehouse = lake_settings(lake_db, folder) if kind == "ducklake" else {"path": folder / "w.duckdb"}
        settings = write_settings(
            folder / "settings.yaml", warehouse=warehouse, source={"kind": "demo", "folder": folder / "feed"},
            demo={"seed": 11, "days": 3, "orders_per_hour": 10, "anomaly_rate": 0.03},
        )
        ledgers = []
        for start in HOURS:
            assert hourly_reconciliation(window_start=start, settings_file=settings).published
            con = open_reader(load_settings(settings).warehouse.target)
            ledgers.append((con.execute(LATEST_SQL).fetchone()[0], con.execute(LEDGER_SQL).fetchall()))
            con.close()
        out[kind] = (settings, ledgers)
    return out


def test_both_kinds_publish_the_same_ledger_hour_after_hour(two_hours):
    (_, on_file), (_, on_lake) = two_hours["duckdb"], two_hours["ducklake"]
    assert [ledger for _, ledger in on_lake] == [ledger for _, ledger in on_file]
    assert on_lake[0][1] != on_lake[1][1], "the second hour changed something"
    assert any(row[3] == "open" for row in on_lake[1][1])


def test_a_past_window_reads_what_was_published_then(two_hours):
    settings, ledgers = two_hours["ducklake"]
    (first_run, first_ledger), (second_run, _) = ledgers
    target = load_settings(settings).warehouse.target
    now = open_reader(target)
    snapshot = published_snapshot(now, first_run)
    assert snapshot is not None and snapshot < published_snapshot(now, second_run)
    now.close()
    then = open_reader(target, snapshot)
    try:
        assert then.execute(LATEST_SQL).fetchone()[0] == first_run
        assert then.execute(LEDGER_SQL).fetchall() == first_ledger
    finally:
        then.close()
    # and the CLI's report for that window builds from it
    assert main(["--settings", settings, "report", "--window-start", FIRST.isoformat()]) == 0


READER = """
import json, sys
from retaguarda.settings import load_settings
from warehouse.access import open_reader
target, stop = load_settings(sys.argv[1]).warehouse.target, sys.argv[2]
import os
print("ready", flush=True)
while not os.path.exists(stop):
    con = open_reader(target)
    run = con.execute("select run_id from exceptions.publications order by as_of desc, published_at desc limit 1"
                      ).fetchone()[0]
    ledger = con.execute("select md5(string_agg(exception_id || status, ',' order by exception_id)) "
                         "from exceptions.ledger").fetchone()[0]
    print(json.dumps([run, ledger]), flush=True)
    con.close()
"""


def digest(settings: str) -> list:
    con = open_reader(load_settings(settings).warehouse.target)
    try:
        return [con.execute(LATEST_SQL).fetchone()[0], con.execute(
            "select md5(string_agg(exception_id || status, ',' order by exception_id)) from exceptions.ledger"
        ).fetchone()[0]]
    finally:
        con.close()


def test_readers_see_one_publication_while_a_run_writes(two_hours, tmp_path):
    settings, _ = two_hours["ducklake"]
    before = digest(settings)
    pinned = open_reader(load_settings(settings).warehouse.target)  # one session, open across the run
    stop, output = tmp_path / "stop", tmp_path / "reader.out"
    reader = subprocess.Popen([sys.executable, "-c", READER, settings, str(stop)], cwd=ROOT,
                              stdout=output.open("w"), stderr=subprocess.PIPE, text=True)
    try:
        while output.read_text().count("\n") < 2:  # ready, and a round read
            assert reader.poll() is None, reader.stderr.read()
            time.sleep(0.2)
        assert hourly_reconciliation(window_start=HOURS[-1] + timedelta(hours=1), settings_file=settings).published
        after = digest(settings)
        assert [pinned.execute(LATEST_SQL).fetchone()[0], pinned.execute(
            "select md5(string_agg(exception_id || status, ',' order by exception_id)) from exceptions.ledger"
        ).fetchone()[0]] == before, "a session reads the snapshot it opened on"
        deadline = time.monotonic() + 120
        while json.loads(output.read_text().splitlines()[-1]) != after:
            assert time.monotonic() < deadline and reader.poll() is None
            time.sleep(0.2)
    finally:
        pinned.close()
        stop.touch()
        _, err = reader.communicate(timeout=60)
    assert reader.returncode == 0, err[-3000:]
    seen = [json.loads(line) for line in output.read_text().splitlines()[1:]]
    assert before != after
    assert seen[0] == before and seen[-1] == after
    assert all(state in (before, after) for state in seen), "never a half-written publication"


HOLDER = """
import sys, time
from warehouse.ducklake import Lake, writer_lock
with writer_lock(Lake(sys.argv[1], sys.argv[2], "shop"), "a process about to be killed"):
    print("held", flush=True)
    time.sleep(600)
"""


def test_one_writer_per_shop_and_a_killed_writer_frees_it(lake_db, tmp_path):
    catalog = f"postgres:{lake_db.dsn('lake')}"
    shop, other = Lake(catalog, str(tmp_path), "shop"), Lake(catalog, str(tmp_path), "other_shop")
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, catalog, str(tmp_path)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        with pytest.raises(WarehouseBusy, match="a process about to be killed"):
            with writer_lock(shop, "a second run"):
                pass
        with writer_lock(other, "another shop's run"):  # shops lock apart
            pass
    finally:
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    with writer_lock(shop, "after the kill", wait_seconds=10):  # its session died, and the lock with it
        pass


def test_cli_exits_3_while_a_run_holds_the_lake(two_hours):
    settings, _ = two_hours["ducklake"]
    with writer_lock(load_settings(settings).warehouse.target, "a test holding it"):
        assert main(["--settings", settings, "ack", "0", "--by", "ana", "--note", "mine"]) == 3


def test_migrations_on_a_sqlite_catalog(tmp_path):
    lake = Lake(f"sqlite:{tmp_path / 'catalog.sqlite'}", str(tmp_path / "data") + "/")
    con = connect(lake)
    assert schema_version(con) == 0
    assert migrate(con, datetime.now(UTC)) == SCHEMA_VERSION == schema_version(con)
    assert migrate(con, datetime.now(UTC)) == SCHEMA_VERSION  # again: nothing to do
    tables = con.execute("select count(*) from duckdb_tables() where database_name = 'lake'").fetchone()[0]
    con.close()
    assert tables > 20


def test_retention_expires_snapshots_past_the_history_age_and_keeps_the_data(tmp_path):
    from tasks.retention import expire_lake_snapshots

    lake = Lake(f"sqlite:{tmp_path / 'catalog.sqlite'}", str(tmp_path / "data") + "/")
    con = connect(lake)
    con.execute("create table t as select range as n from range(3000)")  # big enough for a Parquet file
    first = con.execute("select max(snapshot_id) from ducklake_snapshots('lake')").fetchone()[0]
    con.execute("create or replace table t as select range as n from range(5000)")
    con.execute("delete from t where n >= 4000")
    before = con.execute("select count(*) from ducklake_snapshots('lake')").fetchone()[0]
    files_before = sorted((tmp_path / "data").rglob("*.parquet"))

    assert expire_lake_snapshots(con, 90, datetime.now(UTC)) == 0  # all of them younger than 90 days
    assert con.execute("select count(*) from t at (version => ?)", [first]).fetchone()[0] == 3000

    later = datetime.now(UTC) + timedelta(days=91)
    assert expire_lake_snapshots(con, 90, later) == before - 1  # all but the latest
    assert con.execute("select count(*) from ducklake_snapshots('lake')").fetchone()[0] == 1
    with pytest.raises(Exception, match="(?i)snapshot"):
        con.execute("select count(*) from t at (version => ?)", [first]).fetchone()
    assert con.execute("select count(*), max(n) from t").fetchone() == (4000, 3999)
    assert len(sorted((tmp_path / "data").rglob("*.parquet"))) < len(files_before)  # the first table's file went
    con.close()


SLOW_QUERY = "select count(*) from range(100000000) t(a) where a % 7 = 3"


@pytest.mark.parametrize("kind", ["duckdb", "ducklake"])
def test_a_slow_query_prints_nothing_on_stdout(kind, tmp_path):
    """DuckDB draws a progress bar on stdout for a query over its progress_bar_time, terminal or not."""
    opening = (f"from warehouse.database import connect; con = connect({str(tmp_path / 'w.duckdb')!r})"
               if kind == "duckdb" else
               f"from warehouse.ducklake import Lake, connect; "
               f"con = connect(Lake('sqlite:{tmp_path / 'c.sqlite'}', '{tmp_path / 'data'}/'))")
    code = f"{opening}; con.execute('set progress_bar_time = 0'); con.execute({SLOW_QUERY!r}).fetchall()"
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout == ""


def test_dialect_drops_keys_and_keeps_the_rest():
    ddl = (
        "create table a (id varchar primary key, n int not null);\n"
        "create table b (x varchar, y varchar,  -- why\n    primary key (x, y)\n);"
    )
    assert dialect(ddl) == (
        "create table a (id varchar, n int not null);\ncreate table b (x varchar, y varchar  -- why\n);"
    )
