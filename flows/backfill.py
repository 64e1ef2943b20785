"""Backfill: reconcile a range of past windows (hours or local days), oldest first, resuming after a failure.

All windows run in this one flow run, in this process: no sub-flow per window, and settings,
catalog and mapping are loaded once. Only the last window sends alerts, writes the report
and prunes; the ones before it publish, so the ledger's history and the report's trend are
whole. A folder or mapped source is read once, by the first window: its files are all there
when the backfill starts. The demo source writes its files window by window, so it lands in each.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import duckdb
from prefect import flow, get_run_logger

from expectations.catalog import configured_catalog
from flows.hourly_reconciliation import _land_feeds, reconcile_window
from retaguarda.settings import Settings, load_settings
from retaguarda.window import HOUR, Window, local_midnight, window_of
from sources.mapping import Mapping, load_mapping
from tasks.audit import RunSummary
from tasks.connect import open_warehouse
from tasks.reference import staged_span
from warehouse.database import STAGING_MODELS, run_model, set_variables
from warehouse.lock import writer_lock


def windows_between(start: datetime, end: datetime, timezone: str, step: str = "hour") -> list[Window]:
    """Every window of `step` starting at or after start and ending at or before end.

    Daily windows run from one local midnight to the next; `start` must be one.
    """
    first = window_of(start, timezone, step)
    if end <= first.start:
        raise ValueError(f"backfill end {end.isoformat()} is not after its start {start.isoformat()}")
    windows = []
    while first.end <= end:
        windows.append(first)
        first = window_of(first.end, timezone, step)
    return windows


def first_window_start(earliest: datetime, timezone: str, step: str) -> datetime:
    """The start of the window of `step` that holds `earliest`."""
    if step == "day":
        return local_midnight(earliest, timezone)
    return earliest.astimezone(UTC).replace(minute=0, second=0, microsecond=0)


def completed_windows(warehouse: str) -> set[tuple[datetime, datetime]]:
    """(start, end) of windows that already have a completed run (none if the warehouse does not exist yet)."""
    try:
        con = duckdb.connect(warehouse, read_only=True)
    except duckdb.IOException:
        return set()
    try:
        rows = con.execute("select window_start, window_end from audit.runs where status = 'completed'").fetchall()
        return {(start, end) for start, end in rows}
    except duckdb.CatalogException:
        return set()
    finally:
        con.close()


def earliest_in_data(settings: Settings, mapping: Mapping | None, end: datetime) -> datetime:
    """Land the configured sources' data and return its earliest timestamp (known at `end`)."""
    summary = RunSummary(run_id=uuid.uuid4().hex, window=Window(start=end - HOUR, end=end))
    with writer_lock(settings.warehouse.path, "backfill reading its sources", settings.warehouse.lock_wait_seconds):
        started = datetime.now(UTC)
        con = open_warehouse(settings.warehouse.path, started)
        try:
            _land_feeds(con, settings, mapping, summary, started)
            set_variables(con, settings.sql_variables(end))
            for model in STAGING_MODELS:
                run_model(con, "staging", model)
            low, _ = staged_span(con)
        finally:
            con.close()
    if low is None:
        raise ValueError("the configured sources hold no data to backfill from")
    return low


@flow(name="backfill", log_prints=True)
def backfill(
    start: datetime | None,
    end: datetime,
    settings_file: str | None = None,
    resume: bool = True,
    step: str = "hour",
) -> list[RunSummary]:
    """Reconcile each window of `step` in [start, end), in order; start None: from the data's earliest timestamp.

    With resume, windows that already completed are skipped, so re-running a backfill
    that failed picks up at the failed window. An older window never resolves what a
    newer published run found (see tasks/publish.py).
    """
    settings = load_settings(settings_file)
    suites = configured_catalog(settings.check_overrides())
    mapping = load_mapping(settings.source.mapping) if settings.source.kind == "mapped" else None
    timezone = settings.calendar.timezone
    logger = get_run_logger()
    landed = False
    if start is None:
        earliest = earliest_in_data(settings, mapping, end)
        start = first_window_start(earliest, timezone, step)
        landed = settings.source.kind != "demo"
        logger.info("earliest timestamp in the data: %s; first window starts %s", earliest, start)
    windows = windows_between(start, end, timezone, step)
    done = completed_windows(str(settings.warehouse.path)) if resume else set()
    todo = [w for w in windows if (w.start, w.end) not in done]
    logger.info("%d windows of one %s, %d already completed", len(windows), step, len(windows) - len(todo))
    summaries = []
    for number, window in enumerate(todo, start=1):
        final = number == len(todo)
        # Files of a folder or mapped source are all there from the start: the first window lands them.
        lands = settings.source.kind == "demo" or not landed
        summary = reconcile_window(settings, suites, mapping, window, final=final, land=lands)
        landed = True
        exceptions = sum(summary.exceptions.values())
        logger.info("window %d/%d %s: %d exceptions", number, len(todo), window, exceptions)
        summaries.append(summary)
    if summaries:
        print(summaries[-1].report(suites))
    return summaries
