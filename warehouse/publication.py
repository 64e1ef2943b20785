"""Keep what a publication showed: per-run snapshots in the `published` schema.

The publish transaction calls `snapshot_publication` after the ledger merge, so a run's
snapshot appears with its ledger or not at all. Readers (CLI, report, artifacts) read
exceptions.*, audit.* and published.*; only this module and the models read staging and core.
"""

from __future__ import annotations

from datetime import datetime

import duckdb

from warehouse.database import SQL_DIR

PUBLISHED_DIR = SQL_DIR / "published"
# Each file inserts one publication's rows into the table of the same name.
SNAPSHOTS = ("exceptions", "exception_links", "on_time")


def snapshot_publication(con: duckdb.DuckDBPyConnection, run_id: str, as_of: datetime) -> dict[str, int]:
    """Store the run's active ledger, offender links and on-time figures; rows written per table."""
    written = {}
    for name in SNAPSHOTS:
        con.execute((PUBLISHED_DIR / f"{name}.sql").read_text(), {"run_id": run_id, "as_of": as_of})
        written[f"published.{name}"] = con.execute(
            f"select count(*) from published.{name} where run_id = ?", [run_id]
        ).fetchone()[0]
    return written
