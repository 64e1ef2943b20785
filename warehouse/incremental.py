"""Which core rows a build recomputes: every order in a full build, the touched ones otherwise.

An incremental build finds, per staging history, the entities whose staging row may have
changed since the previous build (changed_<table>: touched by a batch folded since, or with a
version starting or ending between the two as_of), turns them into the orders they feed
(incremental/scope_orders.sql) and recomputes the order-grained core models for those orders
only: delete their rows, insert them again. Every other order is settled for this build and
keeps its rows. The other core models are still built in full.

A staging table none of whose entities changed (and reading no staging table that was rebuilt)
is kept as it is; any other is built in full from its history. A build is full when core is
missing or when something other than the data changed since the previous build: the settings
the models read, the carriers' tracking formats, or the models' SQL. core.build_state
remembers those.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from typing import Any

import duckdb

from sources.canonical import TABLES
from warehouse.database import SQL_DIR, identifier

# The core models of one row per order (or per shipment of an order) whose SQL reads
# scope_orders; the others (carrier_billing, stock_positions) are rebuilt in full.
ORDER_SCOPED = ("order_capture", "order_payments", "order_fulfillment", "shipment_tracking", "order_delivery")
SCOPE_SQL = SQL_DIR / "incremental" / "scope_orders.sql"
SCOPE_ALL_SQL = SQL_DIR / "incremental" / "scope_all_orders.sql"
CHANGED_SQL = SQL_DIR / "incremental" / "changed.sql"


def _exists(con: duckdb.DuckDBPyConnection, schema: str, name: str) -> bool:
    return con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = ?", [schema, name]
    ).fetchone()[0] > 0


def build_fingerprint(variables: dict[str, Any], carriers: dict[str, str]) -> str:
    """What staging and core depend on besides the data: the settings the models read (as_of left
    out), the carriers' tracking formats, and the models' SQL."""
    code = [(str(path.relative_to(SQL_DIR)), path.read_text()) for path in sorted(
        [SQL_DIR / "latest_macro.sql", *SQL_DIR.glob("staging/*.sql"), *SQL_DIR.glob("core/*.sql"),
         *SQL_DIR.glob("incremental/*.sql")]
    )]
    settled = {key: str(value) for key, value in variables.items() if key != "as_of"}
    text = json.dumps([settled, sorted(carriers.items()), code], sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def incremental_possible(con: duckdb.DuckDBPyConnection, core_models: tuple[str, ...]) -> bool:
    """Whether the previous build left every core table and its build state."""
    return _exists(con, "core", "build_state") and all(_exists(con, "core", model) for model in core_models)


def take_previous_build(con: duckdb.DuckDBPyConnection) -> tuple[str, datetime, datetime] | None:
    """(fingerprint, as_of, folded_through) of the previous build, from core.build_state, which
    goes: a build that stops half way leaves none, so the next one is full."""
    previous = con.execute("select fingerprint, as_of, folded_through from core.build_state").fetchone()
    con.execute("drop table core.build_state")
    return previous


def folded_through(con: duckdb.DuckDBPyConnection) -> datetime:
    """When the latest batch was folded into the staging history: the next build starts after it."""
    latest = con.execute("select max(folded_at) from staging.folded_batches").fetchone()[0]
    return latest or datetime.min.replace(tzinfo=UTC)


def changed_rows(con: duckdb.DuckDBPyConnection, table: str, previous_as_of: datetime, as_of: datetime,
                 folded_through: datetime) -> int:
    """Into temp table changed_<table> (incremental/changed.sql): the versions of the entities whose
    staging row may have changed since the previous build; returns their number."""
    model = TABLES[table]
    sql = CHANGED_SQL.read_text().format(
        table=identifier(table), entity=", ".join(identifier(column) for column in model.entity_columns)
    )
    low, high = sorted((previous_as_of, as_of))
    con.execute(sql, {"table_name": table, "folded_through": folded_through, "low": low, "high": high})
    return con.execute(f"select count(*) from changed_{identifier(table)}").fetchone()[0]


def scope_orders(con: duckdb.DuckDBPyConnection, previous_as_of: datetime | None, as_of: datetime) -> int:
    """Into temp table scope_orders: the orders whose core rows this build recomputes (all of them
    without a previous build to start from)."""
    if previous_as_of is None:
        con.execute(SCOPE_ALL_SQL.read_text())
    else:
        con.execute(SCOPE_SQL.read_text(), {"low": min(previous_as_of, as_of)})
    return con.execute("select count(*) from scope_orders").fetchone()[0]


def run_scoped(con: duckdb.DuckDBPyConnection, model: str) -> None:
    """Replace core.<model>'s rows of the orders in scope_orders with the model's rows for them."""
    name = identifier(model)
    sql = (SQL_DIR / "core" / f"{name}.sql").read_text()
    header = f"create or replace table core.{name} as"
    if sql.count(header) != 1:
        raise ValueError(f"core/{name}.sql must start its statement with `{header}`")
    con.execute(sql.replace(header, "create or replace temp table scoped_rows as"))
    con.execute(f"delete from core.{name} where order_id in (select order_id from scope_orders)")
    con.execute(f"insert into core.{name} by name select * from scoped_rows")
    con.execute("drop table scoped_rows")


def save_build_state(con: duckdb.DuckDBPyConnection, fingerprint: str, as_of: datetime, folded: datetime,
                     incremental: bool, scoped: int) -> None:
    con.execute(
        "create or replace table core.build_state as select ?::varchar as fingerprint, ?::timestamptz as as_of, "
        "?::timestamptz as folded_through, ? as incremental, ?::bigint as orders_recomputed",
        [fingerprint, as_of, folded, incremental, scoped],
    )
