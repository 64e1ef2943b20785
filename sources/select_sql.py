"""The DuckDB side of select sources: a mapping's SQL over its inputs, checked and run.

Every select runs in its own in-memory DuckDB with file access switched off: it sees its
inputs as views of text columns and nothing else (not the warehouse, not the disk).
"""

from __future__ import annotations

import json
import re
from typing import Any

import duckdb
import polars as pl

from sources.canonical import INTEGER, MONEY, TEXT, TIMESTAMP, WEIGHT

LINEAGE = ("_file", "_row_number")  # columns every input view has; a select may pass them on
LINEAGE_SCHEMA = {"_file": pl.String, "_row_number": pl.Int64}

_INTEGERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER", "UBIGINT",
             "UHUGEINT"}
_TIMESTAMPS = {"DATE", "TIMESTAMP", "TIMESTAMP WITH TIME ZONE", "TIMESTAMP_S", "TIMESTAMP_MS", "TIMESTAMP_NS"}


class SelectError(ValueError):
    """A select that DuckDB will not run; the message is DuckDB's first line."""


def empty_input(columns: list[str]) -> pl.DataFrame:
    """An input's view with no rows: its columns as text, plus the lineage."""
    return pl.DataFrame(schema={column: pl.String for column in columns} | LINEAGE_SCHEMA)


def _sandbox(inputs: dict[str, pl.DataFrame]) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    con.execute("set enable_progress_bar = false")
    for name, frame in inputs.items():
        # Tables, not views of the frames, so DuckDB can tell which inputs a query reads.
        # `name` is a source name (letters, digits, _ . -: checked by the mapping), quoted.
        con.register("incoming", frame.to_arrow())
        con.execute(f'create table "{name}" as select * from incoming')
        con.unregister("incoming")
    con.execute("set enable_external_access = false")
    con.execute("set lock_configuration = true")
    return con


def _first_line(exc: Exception) -> str:
    return str(exc).strip().splitlines()[0]


def _base_tables(node: Any) -> set[str]:
    """Every table name a parsed query (json_serialize_sql) reads; CTE names too, which callers filter out."""
    if isinstance(node, list):
        return set().union(*map(_base_tables, node)) if node else set()
    if not isinstance(node, dict):
        return set()
    found = {node["table_name"].casefold()} if node.get("type") == "BASE_TABLE" and "table_name" in node else set()
    return found.union(*map(_base_tables, node.values()))


def describe(sql: str, inputs: dict[str, list[str]]) -> tuple[list[tuple[str, str]], list[str]]:
    """(column, DuckDB type) of the select's output over empty inputs (no data needed), and the inputs it reads."""
    con = _sandbox({name: empty_input(columns) for name, columns in inputs.items()})
    try:
        if len(con.extract_statements(sql)) != 1:
            raise SelectError("give exactly one select statement")
        output = [(row[0], row[1]) for row in con.execute(f"describe {sql}").fetchall()]
        read = _base_tables(json.loads(con.execute("select json_serialize_sql(?)", [sql]).fetchone()[0]))
        return output, [name for name in inputs if name.casefold() in read]
    except duckdb.Error as exc:
        raise SelectError(_first_line(exc)) from exc
    finally:
        con.close()


def run(sql: str, inputs: dict[str, pl.DataFrame]) -> tuple[list[str], list[tuple[Any, ...]]]:
    """The select's output columns and rows, as DuckDB's Python values (text, Decimal, date...)."""
    con = _sandbox(inputs)
    try:
        result = con.execute(sql)
        columns = [column[0] for column in result.description]
        return columns, result.fetchall()
    except duckdb.Error as exc:
        raise SelectError(_first_line(exc)) from exc
    finally:
        con.close()


def type_problem(kind: str, duck_type: str) -> str | None:
    """Why a select column of `duck_type` cannot fill a canonical column of `kind`, or None."""
    base = re.sub(r"\(.*\)$", "", duck_type.upper())
    if base == "VARCHAR" or base == "NULL" or base == '"NULL"':
        return None  # text is converted like any mapped value
    if kind == TEXT and base in _INTEGERS:
        return None
    if kind == TIMESTAMP and base in _TIMESTAMPS:
        return None
    if kind == INTEGER and base in _INTEGERS:
        return None
    if kind in (MONEY, WEIGHT) and (base in _INTEGERS or base == "DECIMAL"):
        return None
    hint = f"; cast it, e.g. cast(... as {kind})" if kind in (MONEY, WEIGHT) and base in ("DOUBLE", "FLOAT") else ""
    return f"is {duck_type}, which cannot fill a {kind} column{hint}"
