"""Exception lineage: the input rows each exception involves, kept in published.exception_lineage.

The publish transaction calls `write_lineage` after the ledger merge. It resolves lineage only
for the exceptions that need it (warehouse/published/lineage_due.sql), from the staging rows
of then back to where each was read (raw `_source`, `_file`, `_row_number`), so readers can
name an exception's inputs without reading raw, staging or core.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Protocol

import duckdb

from warehouse.database import SQL_DIR

DUE_SQL = SQL_DIR / "published" / "lineage_due.sql"
LINEAGE_SQL = SQL_DIR / "published" / "exception_lineage.sql"
# The table an entity's own row lives in: always part of its lineage, needed or not.
HOME_TABLE = {
    "order": "orders", "order_line": "order_lines", "shipment": "shipments", "stock_position": "stock_snapshots",
    "tracking_number": "shipments", "invoice": "carrier_invoices",
}
# Inputs beyond a check's `needs:` that explain it: the rows it is about that never loaded.
EXTRA_TABLES = {"order_inputs_quarantined": ("quarantine",)}


class CheckLike(Protocol):
    id: str
    entity: str

    @property
    def needed_tables(self) -> tuple[str, ...]: ...


def lineage_tables(checks: Iterable[CheckLike]) -> list[tuple[str, str]]:
    """(check id, table) pairs: the tables whose rows can be part of a check's lineage."""
    return [
        (check.id, table)
        for check in checks
        for table in dict.fromkeys((HOME_TABLE[check.entity], *check.needed_tables, *EXTRA_TABLES.get(check.id, ())))
    ]


def write_lineage(
    con: duckdb.DuckDBPyConnection, run_id: str, as_of: datetime, tables: list[tuple[str, str]]
) -> int:
    """Rewrite the lineage of the exceptions due (inside the caller's transaction); exceptions written."""
    con.execute(DUE_SQL.read_text(), {"run_id": run_id})
    con.execute("create or replace temp table lineage_tables (check_id varchar, table_name varchar)")
    try:
        if tables:
            con.executemany("insert into lineage_tables values (?, ?)", tables)
        con.execute(
            "delete from published.exception_lineage where exception_id in (select exception_id from lineage_due)"
        )
        con.execute(LINEAGE_SQL.read_text(), {"run_id": run_id, "as_of": as_of})
        return con.execute("select count(*) from lineage_due").fetchone()[0]
    finally:
        con.execute("drop table if exists lineage_tables")
        con.execute("drop table if exists lineage_due")
