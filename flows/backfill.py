"""Backfill: reconcile a range of past windows (hours or local days), oldest first, resuming after a failure.

All windows run in this one flow run, in this process: no sub-flow per window, and settings,
catalog and mapping are loaded once. The windows before the last run on one connection under
one hold of the writer lock, as plain function calls (no Prefect task per step): each lands
(see below), builds the models, materialises the checks and publishes, so the ledger's
history and the report's trend are whole. They skip GX validation, alerts, the report and
pruning. The last window is a full run: GX validates every suite, alerts go out, the report is
written and retention applies. Publishing reads the materialised check tables, not GX's
results, so the last window publishes what a single run of it would.

A folder or mapped source is read once, by the first window: its files are all there when
the backfill starts. The demo source writes its files window by window, so it lands in each.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from prefect import flow, get_run_logger
from prefect.runtime import flow_run

from expectations.catalog import Suite, configured_catalog
from flows.hourly_reconciliation import _check_and_publish, land_feeds, reconcile_window
from retaguarda.settings import Settings
from retaguarda.tenants import settings_for
from retaguarda.window import HOUR, Window, local_midnight, window_of
from sources.mapping import Mapping, load_mapping
from tasks.audit import RunRecord, RunSummary, record_run
from tasks.connect import open_warehouse
from tasks.reference import staged_span
from warehouse.access import Target, open_reader
from warehouse.database import STAGING_MODELS, WarehouseError, run_model, set_variables
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


def completed_windows(target: Target) -> set[tuple[datetime, datetime]]:
    """(start, end) of windows that already have a completed run (none if the warehouse does not exist yet)."""
    if isinstance(target, Path) and not target.exists():
        return set()
    try:
        con = open_reader(target)
    except (duckdb.Error, WarehouseError):
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
    with writer_lock(settings.warehouse.target, "backfill reading its sources", settings.warehouse.lock_wait_seconds):
        started = datetime.now(UTC)
        con = open_warehouse(settings.warehouse.target, started, settings.warehouse.lock_wait_seconds)
        try:
            land_feeds(con, settings, mapping, summary, started)
            set_variables(con, settings.sql_variables(end))
            for model in STAGING_MODELS:
                run_model(con, "staging", model)
            low, _ = staged_span(con)
        finally:
            con.close()
    if low is None:
        raise ValueError("the configured sources hold no data to backfill from")
    return low


def _backfill_name() -> str:
    """`shop-a backfill` for a tenant; the single shop keeps the name Prefect gave the run."""
    tenant = flow_run.parameters.get("tenant")
    return f"{tenant} backfill" if isinstance(tenant, str) else flow_run.name


@flow(name="backfill", flow_run_name=_backfill_name, log_prints=True)
def backfill(
    start: datetime | None,
    end: datetime,
    settings_file: str | None = None,
    resume: bool = True,
    step: str = "hour",
    tenant: str | None = None,
) -> list[RunSummary]:
    """Reconcile each window of `step` in [start, end), in order; start None: from the data's earliest timestamp.

    With resume, windows that already completed are skipped, so re-running a backfill
    that failed picks up at the failed window. An older window never resolves what a
    newer published run found (see tasks/publish.py). `tenant`: that shop's settings and warehouse.
    """
    settings = settings_for(settings_file, tenant)
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
    done = completed_windows(settings.warehouse.target) if resume else set()
    todo = [w for w in windows if (w.start, w.end) not in done]
    logger.info("%d windows of one %s, %d already completed", len(windows), step, len(windows) - len(todo))
    summaries = []
    if len(todo) > 1:
        summaries = _publish_quietly(settings, suites, mapping, todo[:-1], landed)
        landed = True
    if todo:
        # Files of a folder or mapped source are all there from the start: the first window lands them.
        lands = settings.source.kind == "demo" or not landed
        summaries.append(reconcile_window(settings, suites, mapping, todo[-1], land=lands))
        logger.info("window %d/%d %s: full run", len(todo), len(todo), todo[-1])
        print(summaries[-1].report(suites))
    return summaries


def _publish_quietly(
    settings: Settings, suites: tuple[Suite, ...], mapping: Mapping | None, windows: list[Window], landed: bool
) -> list[RunSummary]:
    """Land, model, materialise and publish each window in turn, on one connection (see the module doc)."""
    logger = get_run_logger()
    flow_run_id = str(flow_run.get_id() or "")
    summaries = []
    holder = f"backfill of {len(windows) + 1} windows"
    with writer_lock(settings.warehouse.target, holder, settings.warehouse.lock_wait_seconds):
        con = open_warehouse(settings.warehouse.target, datetime.now(UTC), settings.warehouse.lock_wait_seconds)
        try:
            for number, window in enumerate(windows, start=1):
                summary = RunSummary(run_id=uuid.uuid4().hex, window=window)
                started = datetime.now(UTC)
                try:
                    if settings.source.kind == "demo" or not landed:
                        land_feeds(con, settings, mapping, summary, started)
                        landed = True
                    run = RunRecord(summary.run_id, flow_run_id, window, started)
                    _check_and_publish(con, settings, suites, summary, run, full=False)
                    record_run(con, summary, flow_run_id, started, "completed")
                except Exception as exc:
                    record_run(con, summary, flow_run_id, started, "failed", exc)
                    raise
                logger.info("window %d/%d %s: %d exceptions, %.1f s", number, len(windows) + 1, window,
                            sum(summary.exceptions.values()), (datetime.now(UTC) - started).total_seconds())
                summaries.append(summary)
        finally:
            con.close()
    return summaries
