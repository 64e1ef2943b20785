"""Retention: prune what is old and no longer needed; open exceptions are never touched.

Ages count from the latest published window's as_of, not the wall clock: a warehouse
reconciling 2018 data keeps its 2018 history, and nothing the latest publication or its
report reads is ever deleted (see `keep_from`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from retaguarda.settings import RetentionSettings, Settings
from warehouse.database import STAGING_MODELS, identifier, is_lake

# Logs keyed by the window they describe: (table, column).
HISTORY_TABLES = (
    ("audit.runs", "window_end"),
    ("exceptions.history", "as_of"),
    ("exceptions.publications", "as_of"),
    ("published.exceptions", "as_of"),
    ("published.exception_links", "as_of"),
    ("published.on_time", "as_of"),
)
# Files a lake no longer lists stay this long, for readers that started before they went.
LAKE_FILE_GRACE = timedelta(days=1)
# The report's trend reads this far back from the publication it shows (report/sql/trend.sql).
REPORT_TREND = timedelta(days=7)
ACTIVE_IDS = "select exception_id from exceptions.ledger where status <> 'resolved'"


def reference_time(con: duckdb.DuckDBPyConnection, now: datetime) -> datetime:
    """The latest published as_of; `now` only while nothing is published."""
    latest = con.execute("select max(as_of) from exceptions.publications").fetchone()[0]
    return latest if latest is not None else now


def keep_from(con: duckdb.DuckDBPyConnection, reference: datetime, history_days: int) -> datetime:
    """History at or after this instant stays: the retention age, and all the latest report reads.

    The report of the latest publication shows its trend over REPORT_TREND and compares with
    the publication before it, so both stay whatever the retention age.
    """
    cutoff = min(reference - timedelta(days=history_days), reference - REPORT_TREND)
    previous = con.execute(
        "select max(as_of) from exceptions.publications where as_of < ?", [reference]
    ).fetchone()[0]
    return min(cutoff, previous) if previous is not None else cutoff


def prune(con: duckdb.DuckDBPyConnection, retention: RetentionSettings, now: datetime) -> dict[str, int]:
    """Delete superseded raw rows and old history in one transaction; rows deleted per table.

    `now` is used only while nothing is published yet.
    """
    deleted = {}
    con.execute("begin transaction")
    try:
        reference = reference_time(con, now)
        raw_cutoff = reference - timedelta(days=retention.raw_days)
        history_cutoff = keep_from(con, reference, retention.history_days)
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
        # An exception still being worked keeps its whole story: events and acknowledgements.
        deleted["exceptions.ledger_events"] = con.execute(
            f"delete from exceptions.ledger_events where as_of < ? and exception_id not in ({ACTIVE_IDS})",
            [history_cutoff],
        ).fetchone()[0]
        deleted["exceptions.ledger_actions"] = con.execute(
            f"delete from exceptions.ledger_actions where acted_at < ? and exception_id not in ({ACTIVE_IDS})",
            [history_cutoff],
        ).fetchone()[0]
        for table in ("audit.row_counts", "audit.validations"):
            deleted[table] = con.execute(
                f"delete from {table} where run_id not in (select run_id from audit.runs)"
            ).fetchone()[0]
        deleted["exceptions.ledger"] = con.execute(
            "delete from exceptions.ledger where status = 'resolved' and resolved_at < ?", [history_cutoff]
        ).fetchone()[0]
        # An exception's lineage lives as long as its ledger row.
        deleted["published.exception_lineage"] = con.execute(
            "delete from published.exception_lineage where exception_id not in "
            "(select exception_id from exceptions.ledger)"
        ).fetchone()[0]
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return {table: n for table, n in deleted.items() if n}


def prune_reports(
    con: duckdb.DuckDBPyConnection, folder: Path, retention: RetentionSettings, now: datetime,
    tenant: str | None = None,
) -> int:
    """Delete report files (of `tenant`, if named) whose window is past the history age; never the latest
    publication's."""
    from report.build import LATEST, report_as_of, report_name  # not at import: it loads the renderer

    if not folder.is_dir():
        return 0
    reference = reference_time(con, now)
    cutoff = keep_from(con, reference, retention.history_days)
    keep = {LATEST, report_name(reference, tenant)}
    deleted = 0
    for path in folder.glob("report-*.html"):
        as_of = report_as_of(path.name, tenant)
        if as_of is None:  # not a name we write: not ours to delete
            continue
        if path.name not in keep and as_of < cutoff:
            path.unlink()
            deleted += 1
    return deleted


def expire_lake_snapshots(con: duckdb.DuckDBPyConnection, history_days: int, now: datetime) -> int:
    """On a DuckLake, expire the snapshots older than the history age (by the clock: snapshots are
    stamped when they commit) and delete the files only they held; returns how many expired.

    A lake keeps every snapshot for time travel, so without this its catalog and files grow with
    every run. The latest snapshot is never expired. A DuckDB file keeps no snapshots: 0.
    """
    if not is_lake(con):
        return 0
    from warehouse.ducklake import ALIAS

    expired = con.execute(
        "call ducklake_expire_snapshots(?, older_than => ?)", [ALIAS, now - timedelta(days=history_days)]
    ).fetchall()
    con.execute("call ducklake_cleanup_old_files(?, older_than => ?)", [ALIAS, now - LAKE_FILE_GRACE]).fetchall()
    return len(expired)


def prune_all(con: duckdb.DuckDBPyConnection, settings: Settings, now: datetime) -> dict[str, int]:
    """Everything retention deletes: warehouse rows, report files, a lake's old snapshots; counts by kind."""
    deleted = prune(con, settings.retention, now)
    others = {
        "report files": prune_reports(con, Path(settings.report.dir), settings.retention, now, settings.tenant),
        "lake snapshots": expire_lake_snapshots(con, settings.retention.history_days, now),
    }
    return deleted | {kind: n for kind, n in others.items() if n}


@task(name="prune-history", cache_policy=NO_CACHE)
def prune_task(con: duckdb.DuckDBPyConnection, settings: Settings, now: datetime | None = None) -> dict[str, int]:
    """Delete superseded raw rows, history, report files and lake snapshots past the retention ages."""
    deleted = prune_all(con, settings, now or datetime.now(UTC))
    get_run_logger().info("pruned: %s", deleted or "nothing")
    return deleted
