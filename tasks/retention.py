"""Retention: prune what is old and no longer needed; open exceptions are never touched."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from retaguarda.settings import RetentionSettings, Settings
from warehouse.database import STAGING_MODELS, identifier

# Logs keyed by a time column: (table, column).
HISTORY_TABLES = (
    ("audit.runs", "started_at"),
    ("audit.validations", "validated_at"),
    ("exceptions.ledger_events", "as_of"),
    ("exceptions.history", "as_of"),
    ("exceptions.publications", "as_of"),
    ("exceptions.ledger_actions", "acted_at"),
    ("published.exceptions", "as_of"),
    ("published.exception_links", "as_of"),
    ("published.on_time", "as_of"),
)


def prune(con: duckdb.DuckDBPyConnection, retention: RetentionSettings, now: datetime) -> dict[str, int]:
    """Delete superseded raw rows and old history in one transaction; rows deleted per table."""
    raw_cutoff = now - timedelta(days=retention.raw_days)
    history_cutoff = now - timedelta(days=retention.history_days)
    deleted = {}
    con.execute("begin transaction")
    try:
        built = {row[0] for row in con.execute(
            "select table_name from information_schema.tables where table_schema = 'staging'"
        ).fetchall()}
        # Without its staging table nothing is known to be superseded yet: keep the raw rows.
        for table in (t for t in STAGING_MODELS if t in built):
            # A raw row staging still uses is the latest version of its key: keep it whatever its age.
            deleted[f"raw.{table}"] = con.execute(
                f"""
                delete from raw.{identifier(table)} as r
                where r._loaded_at < ?
                  and not exists (
                      select 1 from staging.{identifier(table)} as s
                      where s._batch_id = r._batch_id and s._row_number = r._row_number
                  )
                """,
                [raw_cutoff],
            ).fetchone()[0]
        for table, column in HISTORY_TABLES:
            deleted[table] = con.execute(f"delete from {table} where {column} < ?", [history_cutoff]).fetchone()[0]
        deleted["audit.row_counts"] = con.execute(
            "delete from audit.row_counts where run_id not in (select run_id from audit.runs)"
        ).fetchone()[0]
        deleted["exceptions.ledger"] = con.execute(
            "delete from exceptions.ledger where status = 'resolved' and resolved_at < ?", [history_cutoff]
        ).fetchone()[0]
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return {table: n for table, n in deleted.items() if n}


@task(name="prune-history", cache_policy=NO_CACHE)
def prune_task(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict[str, int]:
    """Delete superseded raw rows and history past the retention ages."""
    deleted = prune(con, settings.retention, datetime.now(UTC))
    get_run_logger().info("pruned: %s", deleted or "nothing")
    return deleted
