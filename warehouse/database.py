"""The DuckDB warehouse: connect, migrate, run the SQL models."""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb

SQL_DIR = Path(__file__).resolve().parent
MIGRATIONS = sorted((SQL_DIR / "migrations").glob("[0-9][0-9][0-9]_*.sql"))
SCHEMA_VERSION = len(MIGRATIONS)

# Models in dependency order; each file states its grain at the top.
STAGING_MODELS = (
    "orders", "order_lines", "payments", "skus", "allocations", "stock_snapshots",
    "stock_movements", "shipments", "shipment_lines", "tracking_events", "carrier_invoices",
)
CORE_MODELS = (
    "order_capture", "order_fulfillment", "order_payments", "stock_positions",
    "shipment_tracking", "order_delivery", "carrier_billing",
)
MACROS = SQL_DIR / "macros.sql"

_IDENTIFIER = re.compile(r"^[a-z_][a-z0-9_]*$")


class WarehouseError(RuntimeError):
    """The warehouse file cannot be used as it is."""


def connect(path: Path | str) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file (created if missing) with the session settings every query assumes."""
    if str(path) != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(str(path))
    prepare_session(con)
    return con


def prepare_session(con: duckdb.DuckDBPyConnection) -> None:
    # Timestamps are stored and compared in UTC whatever the host's zone.
    con.execute("set TimeZone = 'UTC'")


def identifier(name: str) -> str:
    """An identifier safe to place in SQL: only names from our own catalogs pass."""
    if not _IDENTIFIER.match(name):
        raise ValueError(f"not an allowed SQL identifier: {name!r}")
    return name


def set_variables(con: duckdb.DuckDBPyConnection, values: dict[str, Any]) -> None:
    """Bind run parameters (as_of, thresholds) as DuckDB variables read by getvariable()."""
    for name, value in values.items():
        con.execute(f"set variable {identifier(name)} = ?", [value])


def schema_version(con: duckdb.DuckDBPyConnection) -> int:
    exists = con.execute(
        "select count(*) from information_schema.tables "
        "where table_schema = 'audit' and table_name = 'schema_version'"
    ).fetchone()[0]
    if not exists:
        return 0
    return con.execute("select coalesce(max(version), 0) from audit.schema_version").fetchone()[0]


def migrate(con: duckdb.DuckDBPyConnection, now: datetime) -> int:
    """Bring the file to SCHEMA_VERSION; refuse a file written by a newer release."""
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
            con.execute(migration.read_text())
            con.execute(
                "create table if not exists audit.schema_version "
                "(version integer primary key, name varchar not null, applied_at timestamptz not null)"
            )
            con.execute(
                "insert into audit.schema_version values (?, ?, ?)", [version, migration.name, now]
            )
            con.execute("commit")
        except Exception:
            con.execute("rollback")
            raise
    return SCHEMA_VERSION


def run_model(con: duckdb.DuckDBPyConnection, layer: str, name: str) -> int:
    """Build one model from warehouse/<layer>/<name>.sql; returns its row count."""
    path = SQL_DIR / identifier(layer) / f"{identifier(name)}.sql"
    con.execute(path.read_text())
    return con.execute(f"select count(*) from {layer}.{name}").fetchone()[0]
