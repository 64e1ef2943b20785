"""Open the warehouse, whichever kind it is: a DuckDB file, or one shop's DuckLake.

A target is a Path (the DuckDB file) or a Lake (warehouse/ducklake.py); settings give it as
`settings.warehouse.target`. Writers hold warehouse.lock.writer_lock(target) first.
"""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse import ducklake
from warehouse.database import connect, connect_waiting
from warehouse.ducklake import Lake

Target = Path | Lake


def open_writer(target: Target, wait_seconds: float = 0) -> duckdb.DuckDBPyConnection:
    """A read-write session. A DuckDB file admits one process, so another's is waited for;
    a lake admits many, and its writer lock alone keeps one writer per shop."""
    if isinstance(target, Lake):
        return ducklake.connect(target)
    return connect_waiting(target, wait_seconds)


def open_reader(target: Target, snapshot_version: int | None = None) -> duckdb.DuckDBPyConnection:
    """A read-only session on the warehouse itself (not the reader copy); a lake at any snapshot."""
    if isinstance(target, Lake):
        return ducklake.connect(target, read_only=True, snapshot_version=snapshot_version)
    if snapshot_version is not None:
        raise ValueError("only a DuckLake keeps past snapshots")
    return connect(target, read_only=True)
