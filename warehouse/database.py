"""The DuckDB warehouse: connect, migrate, run the SQL models.

The raw tables and the typed, deduplicated rows staging starts from are derived from the
canonical model (sources/canonical.py); the model build order from the models' own SQL.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from sources.canonical import SQL_TYPES, TABLES, Table

SQL_DIR = Path(__file__).resolve().parent
MIGRATIONS = sorted((SQL_DIR / "migrations").glob("[0-9][0-9][0-9]_*.sql"))
SCHEMA_VERSION = len(MIGRATIONS)
MACROS = SQL_DIR / "macros.sql"
LATEST_MACRO = SQL_DIR / "latest_macro.sql"  # the staging skeleton, filled from the canonical model

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")
_REFERENCE = re.compile(r"\b(staging|core)\.([a-z_][a-z0-9_]*)\b")
_COMMENT = re.compile(r"--[^\n]*")
LAYERS = ("staging", "core")  # built in this order; a model reads only its own layer and those before

# Lineage every raw row carries (tasks/land.py), after the canonical columns.
LINEAGE_DDL = (
    "_source varchar not null", "_batch_id varchar not null", "_file varchar not null",
    "_row_number bigint not null", "_loaded_at timestamptz not null",
)


class WarehouseError(RuntimeError):
    """The warehouse file cannot be used as it is."""


class WarehouseBusy(WarehouseError):
    """Another process holds the warehouse."""


class WarehouseCorrupt(WarehouseError):
    """The file is not a whole DuckDB database (truncated, damaged, or something else)."""


class WarehouseUnwritable(WarehouseError):
    """The path cannot be written: a folder, an immutable or read-only file, no permission."""


# DuckDB raises IOException for all of these; its message says which.
_BUSY = ("Could not set lock on file",)
_CORRUPT = ("not a valid DuckDB database file", "Could not read enough bytes", "Corrupt database file", "checksum")
_UNWRITABLE = ("Is a directory", "Operation not permitted", "Permission denied", "Read-only file system")


def classify(path: Path | str, exc: Exception) -> WarehouseError:
    """The error naming why DuckDB could not open `path`."""
    message = str(exc)
    if any(marker in message for marker in _BUSY):
        return WarehouseBusy(f"{path} is busy: another process has it open ({message})")
    if Path(path).is_dir() or any(marker in message for marker in _UNWRITABLE):
        return WarehouseUnwritable(
            f"{path} cannot be written ({message}); point warehouse.path at a writable file, "
            "or clear the file's immutable or read-only flag"
        )
    if any(marker in message for marker in _CORRUPT):
        return WarehouseCorrupt(
            f"{path} is not a whole DuckDB database: truncated or damaged ({message}); "
            "restore it from a backup, or point warehouse.path at another file"
        )
    return WarehouseError(f"cannot open {path}: {message}")


def connect(path: Path | str, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file (created if missing) with the session settings every query assumes.

    Raises WarehouseBusy, WarehouseCorrupt or WarehouseUnwritable, each saying so.
    """
    if str(path) != ":memory:":
        if Path(path).is_dir():
            raise WarehouseUnwritable(f"{path} is a folder, not a warehouse file: point warehouse.path at a file")
        try:
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WarehouseUnwritable(f"cannot create the folder of {path}: {exc}") from exc
    try:
        con = duckdb.connect(str(path), read_only=read_only)
    except duckdb.IOException as exc:
        raise classify(path, exc) from exc
    prepare_session(con)
    return con


def connect_waiting(path: Path | str, wait_seconds: float) -> duckdb.DuckDBPyConnection:
    """connect(), retried while another process holds the file, up to wait_seconds."""
    deadline = time.monotonic() + wait_seconds
    while True:
        try:
            return connect(path)
        except WarehouseBusy as exc:
            if time.monotonic() >= deadline:
                raise WarehouseBusy(f"{exc}; waited {wait_seconds:g} s") from exc
            time.sleep(0.5)


def prepare_session(con: duckdb.DuckDBPyConnection) -> None:
    # Timestamps are stored and compared in UTC whatever the host's zone.
    con.execute("set TimeZone = 'UTC'")
    # DuckDB draws a progress bar on stdout for a query over 2 s, terminal or not: it would land
    # inside the CLI's JSON and CSV output.
    con.execute("set enable_progress_bar = false")
    con.execute("set enable_progress_bar_print = false")  # also when a session turns the bar on again
    # A cursor starts in the in-memory database: with a lake attached (warehouse/ducklake.py),
    # its SQL means the lake's schemas, as on the connection it came from.
    if con.execute("select count(*) from duckdb_databases() where database_name = 'lake' and type = 'ducklake'"
                   ).fetchone()[0]:
        con.execute("use lake")


def identifier(name: str) -> str:
    """An identifier safe to place in SQL: only names from our own catalogs pass."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not an allowed SQL identifier: {name!r}")
    return name


# --- model order ------------------------------------------------------------------------


def model_references(sql: str) -> set[tuple[str, str]]:
    """The (layer, name) pairs a model's SQL refers to, comments left out."""
    return set(_REFERENCE.findall(_COMMENT.sub("", sql)))


def model_order(layer: str, root: Path = SQL_DIR) -> tuple[str, ...]:
    """The models of one layer, each after the models of that layer it reads (ties by name)."""
    names = sorted(path.stem for path in (root / identifier(layer)).glob("*.sql"))
    needs: dict[str, set[str]] = {}
    for name in names:
        references = model_references((root / layer / f"{name}.sql").read_text())
        later = {f"{other}.{model}" for other, model in references if LAYERS.index(other) > LAYERS.index(layer)}
        if later:
            raise WarehouseError(f"{layer}/{name}.sql reads {', '.join(sorted(later))}, built after {layer}")
        needs[name] = {model for other, model in references if other == layer and model in names} - {name}
    order: list[str] = []
    while len(order) < len(names):
        ready = [name for name in names if name not in order and needs[name] <= set(order)]
        if not ready:
            raise WarehouseError(f"{layer} models read each other in a cycle: {sorted(set(names) - set(order))}")
        order.append(ready[0])
    return tuple(order)


STAGING_MODELS = model_order("staging")
CORE_MODELS = model_order("core")


# --- SQL derived from the canonical model -----------------------------------------------


def raw_table_ddl(table: str) -> str:
    columns = [f"{identifier(column)} varchar" for column in TABLES[table].columns]
    return f"create table if not exists raw.{identifier(table)} ({', '.join([*columns, *LINEAGE_DDL])})"


def sync_raw_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw tables of the canonical model, and add the columns the model gained since."""
    for table, model in TABLES.items():
        con.execute(raw_table_ddl(table))
        present = {name for (name,) in con.execute(
            "select column_name from information_schema.columns "
            "where table_catalog = current_database() and table_schema = 'raw' and table_name = ?",
            [table],
        ).fetchall()}
        for column in (c for c in model.columns if c not in present):
            con.execute(f"alter table raw.{identifier(table)} add column {identifier(column)} varchar")


def _typed(column: str, kind: str) -> str:
    sql_type = SQL_TYPES[kind]
    return identifier(column) if sql_type is None else f"cast({identifier(column)} as {sql_type}) as {column}"


def _skeleton(table: str) -> list[str]:
    """The statements of warehouse/latest_macro.sql, filled for one canonical table."""
    model: Table = TABLES[table]
    known_at = [f"cast({identifier(column)} as timestamptz)" for column in model.known_at]
    if not known_at:
        valid_from = "'-infinity'::timestamptz"  # known whatever the as_of
    elif len(known_at) == 1:
        valid_from = known_at[0]
    else:
        valid_from = f"greatest({', '.join(known_at)})"  # known once every known_at column is
    entity = [identifier(column) for column in model.entity_columns]
    text = LATEST_MACRO.read_text().format(
        table=identifier(table),
        casts=", ".join(_typed(column, kind) for column, kind in model.columns.items()),
        valid_from=valid_from,
        known=" and ".join(f"{identifier(column)} is not null" for column in model.known_at) or "true",
        entity=", ".join(entity),
        entity_join=" and ".join(f"history.{column} = incoming.{column}" for column in entity),
        version="".join(f"{identifier(column)}, " for column in model.version),
    )
    return [part.split("\n", 1)[1].strip() for part in text.split("-- statement:")[1:]]


def history_sql(table: str) -> list[str]:
    """Statements folding the raw rows of the batches in temp table fold_batches into staging.<table>_history."""
    return _skeleton(table)[:-1]


def latest_macro_sql(table: str) -> str:
    """`latest_<table>()`: one row per entity, its version current at as_of (from staging.<table>_history)."""
    return _skeleton(table)[-1]


# The columns staging.<table>_history has besides the canonical ones.
HISTORY_COLUMNS = ("valid_from", "_batch_id", "_file", "_loaded_at", "_row_number", "valid_to")


def stale_histories(con: duckdb.DuckDBPyConnection) -> set[str]:
    """Canonical tables whose staging history is missing or no longer has the model's columns."""
    present: dict[str, set[str]] = {}
    for table, column in con.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'staging' and table_name like '%\\_history' escape '\\'"
    ).fetchall():
        present.setdefault(table.removesuffix("_history"), set()).add(column)
    return {table for table, model in TABLES.items() if present.get(table) != {*model.columns, *HISTORY_COLUMNS}}


def pending_batches(con: duckdb.DuckDBPyConnection, tables: tuple[str, ...]) -> dict[str, int]:
    """Into temp table fold_pending: per table, the raw batches not folded yet or whose row count
    changed since (rows added, or pruned by retention); returns batches per table."""
    landed = " union all ".join(
        f"select '{identifier(table)}' as table_name, _batch_id as batch_id, count(*) as raw_rows "
        f"from raw.{identifier(table)} group by all"
        for table in tables
    )
    con.execute(
        f"""
        create or replace temp table fold_pending as
        with landed as ({landed})
        select landed.*
        from landed
        left join staging.folded_batches as folded
            on folded.table_name = landed.table_name and folded.batch_id = landed.batch_id
        where folded.raw_rows is distinct from landed.raw_rows
        """
    )
    return dict(con.execute("select table_name, count(*) from fold_pending group by all").fetchall())


def fold_history(con: duckdb.DuckDBPyConnection, table: str, now: datetime, stale: bool) -> int:
    """Fold table's batches in fold_pending (pending_batches) into staging.<table>_history; rows read.

    Runs inside the caller's transaction. A stale history (stale_histories: the model gained
    a column) is dropped and folded again from all of raw.
    """
    name = identifier(table)
    if stale:
        con.execute(f"drop table if exists staging.{name}_history")
        con.execute("delete from staging.folded_batches where table_name = ?", [table])
        con.execute(
            f"insert into fold_pending select ?, _batch_id, count(*) from raw.{name} group by all "
            "except select table_name, batch_id, raw_rows from fold_pending",
            [table],
        )
    con.execute(
        "create or replace temp table fold_batches as select batch_id, raw_rows from fold_pending "
        "where table_name = ?",
        [table],
    )
    for statement in history_sql(table):
        con.execute(statement)
    con.execute(
        "delete from staging.folded_batches where table_name = ? and batch_id in (select batch_id from fold_batches)",
        [table],
    )
    con.execute(
        "insert into staging.folded_batches select ?, batch_id, raw_rows, ? from fold_batches", [table, now]
    )
    read = con.execute("select count(*) from fold_new").fetchone()[0]
    for temp in ("fold_new", "fold_candidates", "fold_batches"):
        con.execute(f"drop table {temp}")
    return read


def fold(
    con: duckdb.DuckDBPyConnection, tables: tuple[str, ...] = tuple(TABLES),
    progress: Callable[[str], None] | None = None,
) -> dict[str, int]:
    """Fold the raw batches landed since the last fold into staging.<table>_history, in one transaction.

    Returns raw rows read per table: none when nothing was landed since (two queries).
    """
    read = dict.fromkeys(tables, 0)
    now = datetime.now(UTC)
    con.execute("begin transaction")
    try:
        stale = stale_histories(con)
        pending = pending_batches(con, tables)
        for number, table in enumerate(tables, start=1):
            if progress is not None:
                progress(f"folding raw.{table} into staging.{table}_history ({number}/{len(tables)})")
            if table in stale or table in pending:
                read[table] = fold_history(con, table, now, table in stale)
        con.execute("drop table fold_pending")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return read


def set_variables(con: duckdb.DuckDBPyConnection, values: dict[str, Any]) -> None:
    """Bind run parameters (as_of, thresholds) as DuckDB variables read by getvariable()."""
    for name, value in values.items():
        con.execute(f"set variable {identifier(name)} = ?", [value])


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.execute(
        "select count(*) from information_schema.tables where table_catalog = current_database() "
        "and table_schema = 'audit' and table_name = 'schema_version'"
    ).fetchone()[0]
    if not exists:
        return 0
    return con.execute("select coalesce(max(version), 0) from audit.schema_version").fetchone()[0]


VERSION_TABLE = (
    "create table if not exists audit.schema_version "
    "(version integer primary key, name varchar not null, applied_at timestamptz not null)"
)


def is_lake(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the session's database is a DuckLake (warehouse/ducklake.py) rather than a DuckDB file."""
    row = con.execute("select type from duckdb_databases() where database_name = current_database()").fetchone()
    return row is not None and row[0] == "ducklake"


def migrate(con: duckdb.DuckDBPyConnection, now: datetime) -> int:
    """Bring the file (or lake) to SCHEMA_VERSION; refuse one written by a newer release.

    One migration set serves both kinds: on a DuckLake each file passes through its dialect
    (no PRIMARY KEY or UNIQUE, which the upserts keep themselves).
    """
    from warehouse.ducklake import dialect

    lake = is_lake(con)
    current = schema_version(con)
    if current > SCHEMA_VERSION:
        raise WarehouseError(
            f"warehouse schema version {current} is newer than this release knows "
            f"({SCHEMA_VERSION}); upgrade Retaguarda or point warehouse.path at another file"
        )
    for version, migration in enumerate(MIGRATIONS, start=1):
        if version <= current:
            continue
        con.execute("begin transaction")
        try:
            sql = migration.read_text()
            con.execute(dialect(sql) if lake else sql)
            con.execute(dialect(VERSION_TABLE) if lake else VERSION_TABLE)
            con.execute(
                "insert into audit.schema_version values (?, ?, ?)", [version, migration.name, now]
            )
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
    # Since version 4 the raw tables follow the canonical model: a column the model gained
    # is added here, with no migration file to write.
    con.execute("begin transaction")
    try:
        sync_raw_tables(con)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return SCHEMA_VERSION


def model_sql(layer: str, name: str) -> str:
    """The text of warehouse/<layer>/<name>.sql."""
    return (SQL_DIR / identifier(layer) / f"{identifier(name)}.sql").read_text()


def run_model(con: duckdb.DuckDBPyConnection, layer: str, name: str, folded: bool = False) -> int:
    """Build one model from warehouse/<layer>/<name>.sql; returns its row count.

    A staging model of a canonical table reads `latest_<name>()`, defined here first, over
    the table's history with every landed batch folded in: folded here unless the caller
    already folded every table (`folded`, as build_models does once per build).
    """
    path = SQL_DIR / identifier(layer) / f"{identifier(name)}.sql"
    if layer == "staging" and name in TABLES:
        if not folded:
            fold(con, (name,))
            # staging built outside a build no longer matches the last build: the next one is full
            con.execute("drop table if exists core.build_state")
        con.execute(latest_macro_sql(name))
    con.execute(path.read_text())
    return con.execute(f"select count(*) from {layer}.{name}").fetchone()[0]
