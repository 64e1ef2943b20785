"""Open the warehouse for a run."""

from __future__ import annotations

from datetime import datetime

import duckdb
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from warehouse.access import Target, open_writer
from warehouse.database import migrate


@task(name="open-warehouse", cache_policy=NO_CACHE)
def open_warehouse(path: Target, now: datetime, wait_seconds: float = 0) -> duckdb.DuckDBPyConnection:
    """Open the warehouse (a DuckDB file or a DuckLake) and migrate it to this release's schema.

    Busy, corrupt and unwritable files each raise their own error (warehouse/database.py);
    a process holding the file (an analyst's connection) is waited for like another run.
    """
    con = open_writer(path, wait_seconds)
    version = migrate(con, now)
    get_run_logger().info("warehouse %s at schema version %s", path, version)
    return con
