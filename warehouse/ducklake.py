"""The shared warehouse on DuckLake: extensions, ATTACH, the per-shop writer lock, time travel.

A DuckLake keeps its tables as Parquet files under a data path (a folder or a bucket) and its
catalog (tables, snapshots, which files hold which rows) in a database: PostgreSQL when many
processes on many machines share it, SQLite for one machine. A connection attaches the lake as
`lake` and USEs it, so every SQL file's `raw.`, `staging.`, `core.`, `exceptions.`, `audit.` and
`published.` names resolve inside it unchanged. Several shops share one PostgreSQL database,
each in its own metadata schema.

DuckLake has no PRIMARY KEY or UNIQUE (`dialect` strips them from our DDL; our upserts delete
then insert, so keys hold on both kinds). Every commit is a snapshot: a reader session is pinned
to the last committed one, never a run's half-written state, and can attach at an earlier one.
"""

from __future__ import annotations

import os
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.util import find_spec
from pathlib import Path

import duckdb

from warehouse.database import WarehouseBusy, WarehouseError, prepare_session

ALIAS = "lake"
# Extensions come from PyPI packages (duckdb-extension-<name>), never from the network.
EXTENSIONS = ("ducklake", "postgres_scanner", "sqlite_scanner")
_CONSTRAINT = re.compile(r",(\s*--[^\n]*)?\s*(primary key|unique)\s*\([^)]*\)", re.IGNORECASE)
_INLINE = re.compile(r"\s+(primary key|unique)\b(?=\s*(,|\)|--|\n))", re.IGNORECASE)


@dataclass(frozen=True)
class Lake:
    """Where one shop's lake lives."""

    catalog: str  # postgres:<libpq string> or sqlite:<file>
    data_path: str  # a folder or an s3:// URL
    metadata_schema: str | None = None  # the catalog's PostgreSQL schema; None: the catalog's default

    @property
    def kind(self) -> str:
        return self.catalog.split(":", 1)[0]

    @property
    def target(self) -> str:
        """The catalog without its kind: a libpq connection string, or the SQLite file."""
        return self.catalog.split(":", 1)[1]

    def __str__(self) -> str:
        schema = f" schema {self.metadata_schema}" if self.metadata_schema else ""
        return f"DuckLake {self.kind}:{_without_password(self.target)}{schema}"


def _without_password(target: str) -> str:
    return re.sub(r"password=\S+", "password=***", target)


def extension_path(name: str) -> Path:
    spec = find_spec(f"duckdb_extension_{name}")
    if spec is None or not spec.submodule_search_locations:
        raise WarehouseError(f"the DuckDB extension {name} is not installed: uv add duckdb-extension-{name}")
    version = duckdb.__version__
    found = sorted(Path(spec.submodule_search_locations[0]).glob(f"extensions/v{version}/*.duckdb_extension"))
    if not found:
        raise WarehouseError(f"duckdb-extension-{name} has no build for duckdb {version}")
    return found[0]


def _literal(text: str) -> str:
    """A SQL string literal: ATTACH and LOAD take no bound parameters, so these values are quoted here."""
    return "'" + text.replace("'", "''") + "'"


def attach(
    con: duckdb.DuckDBPyConnection, lake: Lake, read_only: bool = False, snapshot_version: int | None = None
) -> duckdb.DuckDBPyConnection:
    """Attach the lake as `lake` on `con` and USE it; at `snapshot_version` to read the past."""
    for name in EXTENSIONS:
        con.execute(f"load {_literal(str(extension_path(name)))}")
    options = [f"data_path {_literal(lake.data_path)}"]
    if lake.metadata_schema:
        options.append(f"metadata_schema {_literal(lake.metadata_schema)}")
    if read_only:
        options.append("read_only")
    if snapshot_version is not None:
        options.append(f"snapshot_version {int(snapshot_version)}")
    if not read_only and lake.kind == "sqlite":
        Path(lake.target).parent.mkdir(parents=True, exist_ok=True)
    try:
        con.execute(f"attach {_literal('ducklake:' + lake.catalog)} as {ALIAS} ({', '.join(options)})")
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot attach {lake}: {exc}") from exc
    con.execute(f"use {ALIAS}")
    prepare_session(con)
    return con


def connect(lake: Lake, read_only: bool = False, snapshot_version: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB session with the lake attached and in use.

    A read-only session is pinned to one snapshot, the last committed unless one is given: each
    statement would otherwise see the newest commit, and a report's queries could straddle a
    publication."""
    con = duckdb.connect()
    if read_only and snapshot_version is None:
        attach(con, lake, read_only=True)
        snapshot_version = con.execute("select max(snapshot_id) from ducklake_snapshots(?)", [ALIAS]).fetchone()[0]
        con.execute("use memory")
        con.execute(f"detach {ALIAS}")
    return attach(con, lake, read_only, snapshot_version)


# --- dialect ----------------------------------------------------------------------------


def dialect(sql: str) -> str:
    """Our DDL as DuckLake takes it: no PRIMARY KEY or UNIQUE (the upserts keep keys themselves)."""
    return _INLINE.sub("", _CONSTRAINT.sub(lambda found: found.group(1) or "", sql))


# --- the writer lock --------------------------------------------------------------------


def lock_key(lake: Lake) -> str:
    """What the lock is named by: one shop's lake in one catalog database."""
    return f"retaguarda writer {lake.metadata_schema or 'default'}"


@contextmanager
def writer_lock(lake: Lake, holder: str, wait_seconds: float = 0) -> Iterator[None]:
    """Hold this shop's lake for writing: a PostgreSQL session advisory lock, or a file beside a SQLite catalog.

    The advisory lock lives on its own connection: a killed process's connection closes and
    PostgreSQL releases the lock with it, so a crash never leaves the shop locked.
    """
    if lake.kind == "sqlite":
        from warehouse.lock import file_lock

        with file_lock(Path(lake.target), str(lake), holder, wait_seconds):
            yield
        return
    if lake.kind != "postgres":
        raise WarehouseError(f"no writer lock for a {lake.kind} catalog; use postgres or sqlite")
    import psycopg

    label = f"pid {os.getpid()}, {holder}, since {datetime.now(UTC):%Y-%m-%d %H:%M:%SZ}"
    try:
        session = psycopg.connect(lake.target, autocommit=True, application_name=label[:63])
    except psycopg.Error as exc:
        raise WarehouseError(f"cannot reach the catalog of {lake}: {exc}") from exc
    with session:
        deadline = time.monotonic() + wait_seconds
        while not session.execute(
            "select pg_try_advisory_lock(hashtextextended(%s, 0))", [lock_key(lake)]
        ).fetchone()[0]:
            if time.monotonic() >= deadline:
                raise WarehouseBusy(
                    f"{lake} is being written by another run ({_holder(session, lake) or 'unknown'}); "
                    f"waited {wait_seconds:g} s. Only one run may write the warehouse at a time."
                )
            time.sleep(0.5)
        try:
            yield
        finally:
            session.execute("select pg_advisory_unlock(hashtextextended(%s, 0))", [lock_key(lake)])


def _holder(session, lake: Lake) -> str | None:
    row = session.execute(
        "select a.application_name from pg_locks l join pg_stat_activity a on a.pid = l.pid "
        "where l.locktype = 'advisory' and l.granted "
        "and ((l.classid::bigint << 32) | l.objid::bigint) = hashtextextended(%s, 0)",
        [lock_key(lake)],
    ).fetchone()
    return row[0] if row else None


# --- time travel ------------------------------------------------------------------------


def published_snapshot(con: duckdb.DuckDBPyConnection, run_id: str) -> int | None:
    """The snapshot a publication committed: the first one whose exceptions.publications holds its run.

    Once committed the row stays (retention keeps the latest publications, and `con` holds it),
    so the snapshots that hold it are a suffix of the list: a binary search finds the first
    without trusting the clocks of the machines that wrote them.
    """
    held = "select count(*) from exceptions.publications at (version => ?) where run_id = ?"
    if not con.execute("select count(*) from exceptions.publications where run_id = ?", [run_id]).fetchone()[0]:
        return None
    snapshots = [row[0] for row in con.execute(
        "select snapshot_id from ducklake_snapshots(?) order by snapshot_id", [ALIAS]
    ).fetchall()]
    low, high = 0, len(snapshots) - 1  # snapshots[high] holds it
    while low < high:
        middle = (low + high) // 2
        if con.execute(held, [snapshots[middle], run_id]).fetchone()[0]:
            high = middle
        else:
            low = middle + 1
    return snapshots[high]
