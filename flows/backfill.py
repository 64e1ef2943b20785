"""Backfill: reconcile a range of past hourly windows, oldest first, resuming after a failure."""

from __future__ import annotations

from datetime import datetime

import duckdb
from prefect import flow, get_run_logger

from flows.hourly_reconciliation import hourly_reconciliation
from retaguarda.settings import load_settings
from retaguarda.window import HOUR, Window, hourly_window
from tasks.audit import RunSummary


def windows_between(start: datetime, end: datetime, timezone: str) -> list[Window]:
    """Every hourly window starting at or after start and ending at or before end."""
    first = hourly_window(start, timezone)
    if end <= first.start:
        raise ValueError(f"backfill end {end.isoformat()} is not after its start {start.isoformat()}")
    windows = []
    while first.end <= end:
        windows.append(first)
        first = Window(start=first.end, end=first.end + HOUR)
    return windows


def completed_windows(warehouse: str) -> set[datetime]:
    """Window starts that already have a completed run (none if the warehouse does not exist yet)."""
    try:
        con = duckdb.connect(warehouse, read_only=True)
    except duckdb.IOException:
        return set()
    try:
        rows = con.execute("select window_start from audit.runs where status = 'completed'").fetchall()
        return {row[0] for row in rows}
    except duckdb.CatalogException:
        return set()
    finally:
        con.close()


@flow(name="backfill", log_prints=True)
def backfill(
    start: datetime, end: datetime, settings_file: str | None = None, resume: bool = True
) -> list[RunSummary]:
    """Run hourly_reconciliation for each window in [start, end), in order.

    With resume, windows that already completed are skipped, so re-running a backfill
    that failed picks up at the failed window. An older window never resolves what a
    newer published run found (see tasks/publish.py).
    """
    settings = load_settings(settings_file)
    windows = windows_between(start, end, settings.calendar.timezone)
    done = completed_windows(str(settings.warehouse.path)) if resume else set()
    logger = get_run_logger()
    summaries = []
    for number, window in enumerate(windows, start=1):
        if window.start in done:
            logger.info("window %d/%d %s: already completed, skipped", number, len(windows), window)
            continue
        logger.info("window %d/%d %s", number, len(windows), window)
        summaries.append(hourly_reconciliation(window_start=window.start, settings_file=settings_file))
    return summaries
