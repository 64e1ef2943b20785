"""Hourly reconciliation: feeds into DuckDB, stage suites through GX, exception tables out."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import duckdb
from babel.dates import get_timezone_name
from prefect import flow
from prefect.runtime import flow_run
from prefect.states import Completed, State

from expectations.catalog import Suite, configured_catalog
from retaguarda.settings import Settings
from retaguarda.tenants import settings_for
from retaguarda.window import Window, hourly_window
from sources.mapping import Mapping, builtin_mapping, load_mapping
from tasks.applicability import decide_checks_task
from tasks.artifacts import publish_report_artifact, publish_run_artifacts
from tasks.audit import RunRecord, RunSummary, new_serious_exceptions, record_run
from tasks.connect import open_warehouse
from tasks.demo import generate_demo_feed
from tasks.extract import FEEDS, extract_feed
from tasks.land import land_feed
from tasks.materialise import materialise_checks_task
from tasks.publish import publish_task
from tasks.report import build_report_task
from tasks.retention import prune_task
from tasks.share import deliver_earlier_alerts, share_results
from tasks.transform import build_models_task
from tasks.validate import validate_stages
from warehouse.lock import writer_lock
from warehouse.reader_copy import write_reader_copy


def land_feeds(
    con: duckdb.DuckDBPyConnection, settings: Settings, mapping: Mapping | None, summary: RunSummary, now: datetime
) -> None:
    if settings.source.kind == "demo":
        generate_demo_feed(settings, summary.window.end)
    if mapping is None:  # demo and folder: the canonical folder, read with the built-in mapping
        mapping = builtin_mapping(settings.source.folder)
    for feed in FEEDS:
        extracted = extract_feed(con, mapping, feed)
        summary.schema_drift += [note for file in extracted for note in file.schema_drift]
        land = land_feed.with_options(task_run_name=f"land-feed-{feed}")
        summary.rows_landed[feed] = land(con, extracted, summary.run_id, now, mapping.max_rejected_pct)


def _check_and_publish(
    con: duckdb.DuckDBPyConnection, settings: Settings, suites: tuple[Suite, ...], summary: RunSummary,
    run: RunRecord,
) -> None:
    as_of = summary.window.end
    summary.model_rows = build_models_task(con, settings, as_of)
    summary.not_evaluated = decide_checks_task(con, suites, summary.run_id, as_of)
    materialise_checks_task(con, suites, as_of, summary.not_evaluated)
    summary.validations, validations = validate_stages(con, settings.sql_variables(as_of), suites)
    publication = publish_task(con, suites, settings, summary.run_id, as_of, run)
    summary.exceptions, summary.events = publication.counts, publication.events
    summary.published = publication.published
    if publication.published:
        summary.new_serious = new_serious_exceptions(con, summary.run_id)
        summary.alerts_sent = share_results(con, settings, summary)
        # in the flow body, not in a task: so the artifacts are the flow run's own
        publish_run_artifacts(con, settings, suites, summary.run_id, str(summary.window))
        summary.report_path = build_report_task(con, settings, summary, validations)
        publish_report_artifact(settings, summary.report_path, str(summary.window))
        prune_task(con, settings)


def window_label(start: datetime, timezone: str) -> str:
    """`2026-11-30 13:00 BRT`: the window's start in the calendar's zone, with a short zone name."""
    local = start.astimezone(ZoneInfo(timezone))
    # tzdata names some zones by offset only ("-03"); CLDR still has the common abbreviation
    names = [local.tzname() or ""] + [get_timezone_name(local, "short", locale=lang) for lang in ("en", "pt_BR")]
    zone = next((name for name in names if name.isalpha()), f"UTC{local:%z}")
    return f"{local:%Y-%m-%d %H:%M} {zone}"


def run_name(window_label: str, tenant: str | None) -> str:
    """`shop-a 2026-11-30 13:00 BRT`: a tenant's runs start with its name; the single shop's do not."""
    return window_label if tenant is None else f"{tenant} {window_label}"


def _run_name() -> str:
    """The flow run's name is its window (after the tenant, if any), so the runs list reads by hour."""
    parameters = flow_run.parameters
    start = parameters.get("window_start")
    tenant = parameters.get("tenant")
    try:
        timezone = settings_for(parameters.get("settings_file"), tenant).calendar.timezone
        start = datetime.fromisoformat(start) if isinstance(start, str) else start
        window = hourly_window(start, timezone)
    except Exception:  # noqa: BLE001 - a bad configuration fails in the flow body, with its own message
        return run_name("window not resolved", tenant if isinstance(tenant, str) else None)
    return run_name(window_label(window.start, timezone), tenant)


def final_state(summary: RunSummary) -> State | RunSummary:
    """"Exceptions found" when the run found new high or critical exceptions, so automations can tell."""
    if not summary.new_serious:
        return summary
    found = ", ".join(f"{n} {what}" for what, n in summary.new_serious.items())
    return Completed(name="Exceptions found", message=f"{found} for {summary.window}", data=summary)


def reconcile_window(
    settings: Settings,
    suites: tuple[Suite, ...],
    mapping: Mapping | None,
    window: Window,
    land: bool = True,
) -> RunSummary:
    """Land, check and publish one window under the writer lock (`land` False: a backfill's input is in)."""
    summary = RunSummary(run_id=uuid.uuid4().hex, window=window)
    holder = f"run {summary.run_id[:8]} for {window}"
    with writer_lock(settings.warehouse.target, holder, settings.warehouse.lock_wait_seconds):
        started = datetime.now(UTC)  # when the run took the warehouse, after any wait for the lock
        con = open_warehouse(settings.warehouse.target, started, settings.warehouse.lock_wait_seconds)
        run = RunRecord(summary.run_id, str(flow_run.get_id() or ""), window, started)
        try:
            deliver_earlier_alerts(con)  # what a run killed after publishing left in the outbox
            if land:
                land_feeds(con, settings, mapping, summary, started)
            _check_and_publish(con, settings, suites, summary, run)
            record_run(con, summary, run.flow_run_id, started, "completed")
        except Exception as exc:
            # completed already if the publication committed: then the error is kept beside it
            record_run(con, summary, run.flow_run_id, started, "failed", exc)
            raise
        finally:
            try:
                write_reader_copy(con, settings.warehouse.target)  # readers see this run's outcome
            finally:
                con.close()
    return summary


@flow(name="hourly-reconciliation", flow_run_name=_run_name, log_prints=True)
def hourly_reconciliation(
    window_start: datetime | None = None, settings_file: str | None = None, tenant: str | None = None
) -> RunSummary | State:
    """Reconcile orders, stock and carrier feeds as of the end of one hourly window.

    `tenant`: reconcile that shop (`tenants/<tenant>.yaml`, see retaguarda/tenants.py) into its
    own warehouse; None: the single-shop settings. A Python caller gets the RunSummary either
    way: Prefect hands back a returned state's data.
    """
    # Everything that can be wrong with the configuration fails here, before any work.
    settings = settings_for(settings_file, tenant)
    suites = configured_catalog(settings.check_overrides())
    mapping = load_mapping(settings.source.mapping) if settings.source.kind == "mapped" else None
    window = hourly_window(window_start, settings.calendar.timezone)
    summary = reconcile_window(settings, suites, mapping, window)
    print(summary.report(suites))
    return final_state(summary)
