"""The reader copy: what the CLI, the report and analysts read, in a file of its own.

A DuckDB file has one writer, and a reader's shared lock stops the writer from opening it.
So a writer, after it commits, copies the schemas readers use into `<warehouse>.read.duckdb`:
written to a temporary file, then renamed over the old copy. Readers open the copy read-only
and never touch the warehouse; one that is reading keeps the old copy's inode open, and
one that opens afterwards gets the new one. Each sees one publication whole.

A DuckLake needs no copy: readers attach it read-only and see its last committed snapshot
(warehouse/access.py), so for a lake writing the copy does nothing.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import duckdb

from warehouse.database import connect, identifier
from warehouse.ducklake import Lake

# Everything readers query: the ledger and publications, the runs, the per-run snapshots.
READ_SCHEMAS = ("exceptions", "audit", "published")


def reader_copy_path(warehouse: Path) -> Path:
    return warehouse.with_name(warehouse.name + ".read.duckdb")


def write_reader_copy(con: duckdb.DuckDBPyConnection, warehouse: Path | Lake) -> Path | None:
    """Copy READ_SCHEMAS from the writer's connection into a new reader copy, swapped in at once."""
    if isinstance(warehouse, Lake):
        return None  # readers read the lake's snapshots
    target = reader_copy_path(warehouse)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(handle)
    os.unlink(temporary)  # DuckDB creates the file itself
    source = con.cursor()  # off the caller's connection, same transaction state as the writer's
    try:
        tables = source.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where database_name = current_database() and schema_name in ? order by all",
            [list(READ_SCHEMAS)],
        ).fetchall()
        copy = duckdb.connect(temporary)
        try:
            for schema in READ_SCHEMAS:
                copy.execute(f"create schema {identifier(schema)}")
            for schema, table in tables:
                name = f"{identifier(schema)}.{identifier(table)}"
                # rows move as Arrow batches: no SQL text carries the path, no copy in Python objects
                copy.from_arrow(source.execute(f"select * from {name}").to_arrow_reader()).create(name)
            copy.execute("checkpoint")
        finally:
            copy.close()
        os.chmod(temporary, 0o444)  # a copy: analysts' writes belong in the warehouse
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    finally:
        source.close()
    return target


def open_reader_copy(warehouse: Path | Lake) -> duckdb.DuckDBPyConnection:
    """The reader copy, read-only; raises FileNotFoundError when no writer has made one yet.

    For a lake: the lake itself, read-only, at its last committed snapshot.
    """
    if isinstance(warehouse, Lake):
        from warehouse.ducklake import connect as connect_lake

        return connect_lake(warehouse, read_only=True)
    path = reader_copy_path(warehouse)
    if not path.exists():
        raise FileNotFoundError(path)
    return connect(path, read_only=True)
