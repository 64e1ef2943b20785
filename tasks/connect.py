"""Open the warehouse for a run."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import duckdb
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from warehouse.database import connect, migrate


@task(name="open-warehouse", cache_policy=NO_CACHE)
def open_warehouse(path: Path, now: datetime) -> duckdb.DuckDBPyConnection:
    """Open the warehouse file and migrate it to this release's schema."""
    try:
        con = connect(path)
    except duckdb.IOException as exc:
        raise RuntimeError(
            f"cannot open {path} for writing: another run holds it ({exc}); "
            "only one run may write the warehouse at a time"
        ) from exc
    version = migrate(con, now)
    get_run_logger().info("warehouse %s at schema version %s", path, version)
    return con
