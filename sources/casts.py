"""Try staging's casts on a batch before it lands, so staging can never fail on raw text.

The mapping already converted every value to canonical text (sources/convert.py); this is
the second, independent guard: DuckDB's own cast to the type staging uses (SQL_TYPES),
run with try_cast on the batch. A value it refuses quarantines its row.
"""

from __future__ import annotations

import threading

import duckdb
import polars as pl

from sources.canonical import SQL_TYPES, TABLES

_CON: duckdb.DuckDBPyConnection | None = None  # one in-memory database: a new one per batch costs ~0.3 s
_LOCK = threading.Lock()


def _cursor() -> duckdb.DuckDBPyConnection:
    global _CON
    with _LOCK:
        if _CON is None:
            _CON = duckdb.connect()
            _CON.execute("set TimeZone = 'UTC'")
        return _CON.cursor()


def cast_failures(table: str, frame: pl.DataFrame, index: str) -> dict[int, str]:
    """Per value of the `index` column: the first column whose value DuckDB will not cast, as a sentence."""
    typed = [(column, SQL_TYPES[kind]) for column, kind in TABLES[table].columns.items() if SQL_TYPES[kind]]
    if frame.height == 0 or not typed:
        return {}
    # Column names and types come from the canonical model, never from the data.
    checks = " union all ".join(
        f"select {index} as i, '{column}' as col, {column} as value, '{sql_type}' as type from batch "
        f"where {column} is not null and try_cast({column} as {sql_type}) is null"
        for column, sql_type in typed
    )
    con = _cursor()
    try:
        con.execute("set TimeZone = 'UTC'")
        con.register("batch", frame.to_arrow())
        found = con.execute(f"select i, col, value, type from ({checks}) order by i, col").fetchall()
    finally:
        con.close()
    failures: dict[int, str] = {}
    for i, column, value, sql_type in found:
        failures.setdefault(i, f"{column}: {value!r} does not cast to {sql_type}")
    return failures
