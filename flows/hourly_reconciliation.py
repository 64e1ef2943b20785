"""Hourly reconciliation: feeds into DuckDB, stage suites through GX, exception tables out."""

from __future__ import annotations

import argparse
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResult
from prefect import flow, get_run_logger, task
from prefect.artifacts import create_link_artifact
from prefect.cache_policies import NO_CACHE
from prefect.runtime import flow_run

from expectations.catalog import Suite, configured_catalog
from flows.window import hourly_window
from report.build import build_report
from report.data_docs import DATA_DOCS_DIR, build_data_docs
from retaguarda.settings import Settings, load_settings
from sources.mapping import Mapping, load_mapping
from tasks.alerts import send_alerts
from tasks.artifacts import publish_artifacts
from tasks.audit import RunSummary, record_run
from tasks.extract import FEEDS, ExtractedFile, extract_file, extract_new_input, feed_files
from tasks.land import land_files
from tasks.ledger import export_open
from tasks.publish import Publication, publish
from tasks.retention import prune
from tasks.transform import build_models
from tasks.validate import ExpectationResult, validate_suites_with_results
from warehouse.database import connect, migrate
from warehouse.lock import writer_lock


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


@task(name="generate-demo-feed", retries=1, cache_policy=NO_CACHE)
def generate_demo_feed(settings: Settings, end: datetime) -> Path:
    """Hand over the demo back office's files of every hour up to the window end not written yet."""
    from simulator import simulate

    demo = settings.demo
    summary = simulate(
        settings.source.folder,
        start=end - timedelta(hours=1),
        end=end,
        seed=demo.seed,
        orders_per_hour=demo.orders_per_hour,
        anomaly_rate=demo.anomaly_rate,
        history_days=demo.days - 1 / 24,
        calendar=settings.calendar.business_calendar(),
        thresholds=settings.thresholds.model_dump(),
    )
    get_run_logger().info("demo feed written to %s: %s", settings.source.folder, summary)
    return settings.source.folder


def _io_error(task, task_run, state) -> bool:
    """Retry reads that failed on I/O; a malformed file fails at once."""
    try:
        state.result()
    except OSError:
        return True
    except Exception:
        return False
    return False


@task(name="extract-feed", retries=2, retry_delay_seconds=5, retry_condition_fn=_io_error, cache_policy=NO_CACHE)
def extract_feed(
    folder: Path, feed: str, mapping: Mapping | None = None, con: duckdb.DuckDBPyConnection | None = None
) -> list[ExtractedFile]:
    """Read one feed's input: the source folder's files, or the new input of the mapped sources."""
    logger = get_run_logger()
    if mapping is not None:
        extracted = extract_new_input(con, mapping, feed)
    else:
        files = feed_files(folder, feed)
        if not files:
            raise FileNotFoundError(f"no {feed} files under {folder} (see docs/feeds.md for the layout)")
        extracted = [extract_file(table, path) for table, path in files]
    logger.info("%s: %d files, %d rows", feed, len(extracted), sum(e.rows_in for e in extracted))
    for note in (note for file in extracted for note in file.schema_drift):
        logger.warning("schema drift: %s", note)
    return extracted


@task(name="land-feed", cache_policy=NO_CACHE)
def land_feed(
    con: duckdb.DuckDBPyConnection, extracted: list[ExtractedFile], run_id: str, now: datetime,
    max_rejected_pct: float | None = None,
) -> int:
    """Append new files to raw with lineage, bad rows to raw.quarantine; a file landed before is skipped."""
    rows = land_files(con, extracted, run_id, now, max_rejected_pct)
    quarantined = sum(file.rows_rejected for file in extracted)
    get_run_logger().info("landed %d rows from %d files; %d rows quarantined", rows, len(extracted), quarantined)
    return rows


@task(name="build-models", cache_policy=NO_CACHE)
def build_models_task(con: duckdb.DuckDBPyConnection, settings: Settings, as_of: datetime) -> dict[str, int]:
    """Rebuild staging (typed, latest per key), reference tables and core facts."""
    counts = build_models(con, settings, as_of)
    get_run_logger().info("models: %s", counts)
    return counts


@task(name="validate-stages", cache_policy=NO_CACHE)
def validate_stages(
    con: duckdb.DuckDBPyConnection, variables: dict[str, Any], suites: tuple[Suite, ...]
) -> tuple[list[ExpectationResult], list[ExpectationSuiteValidationResult]]:
    """Run every stage suite with Great Expectations inside DuckDB."""
    results, validations = validate_suites_with_results(con, variables, suites)
    logger = get_run_logger()
    for result in results:
        logger.info(
            "%s %s %s: %s unexpected", result.suite, result.check_id, result.expectation, result.unexpected_count
        )
    return results, validations


@task(name="publish-exceptions", cache_policy=NO_CACHE)
def publish_task(
    con: duckdb.DuckDBPyConnection,
    suites: tuple[Suite, ...],
    settings: Settings,
    results: list[ExpectationResult],
    run_id: str,
    as_of: datetime,
) -> Publication:
    """Swap in exception tables, ledger and history at once; counts must agree with GX's."""
    publication = publish(con, suites, settings, run_id, as_of)
    for result in results:
        if result.check_id != "contract" and result.unexpected_count != publication.counts[result.check_id]:
            raise RuntimeError(
                f"{result.check_id}: GX found {result.unexpected_count} rows, "
                f"the exception table has {publication.counts[result.check_id]}"
            )
    if not publication.published:
        get_run_logger().warning("a newer window is already published: ledger and exception tables left as they are")
    return publication


@task(name="share-results", retries=2, retry_delay_seconds=10, cache_policy=NO_CACHE)
def share_results(con: duckdb.DuckDBPyConnection, settings: Settings, summary: RunSummary) -> int:
    """Artifacts in the Prefect UI, the open-ledger exports, and alerts on change."""
    window = str(summary.window)
    publish_artifacts(con, summary.run_id, window, summary.events)
    export_open(con, settings.ledger.export_dir)
    return send_alerts(con, summary.run_id, window, settings.alerts.block, settings.alerts.min_severity)


@task(name="build-report", cache_policy=NO_CACHE)
def build_report_task(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    summary: RunSummary,
    validations: list[ExpectationSuiteValidationResult],
) -> Path:
    """GX Data Docs of the run's validations, then the managers' HTML report linking to them."""
    build_data_docs(
        validations, settings.report.dir / DATA_DOCS_DIR, run_name=summary.run_id, run_time=summary.window.end
    )
    path = build_report(con, settings, summary.run_id)
    create_link_artifact(
        key="exception-report", link=path.resolve().as_uri(), link_text=f"Exception report {summary.window}",
        description="Self-contained HTML: open it from disk",
    )
    get_run_logger().info("report: %s", path)
    return path


@task(name="prune-history", cache_policy=NO_CACHE)
def prune_task(con: duckdb.DuckDBPyConnection, settings: Settings) -> dict[str, int]:
    """Delete superseded raw rows and history past the retention ages."""
    deleted = prune(con, settings.retention, datetime.now(UTC))
    get_run_logger().info("pruned: %s", deleted or "nothing")
    return deleted


def _land_feeds(
    con: duckdb.DuckDBPyConnection, settings: Settings, mapping: Mapping | None, summary: RunSummary, now: datetime
) -> None:
    folder = settings.source.folder
    if settings.source.kind == "demo":
        folder = generate_demo_feed(settings, summary.window.end)
    for feed in FEEDS:
        extracted = extract_feed(folder, feed, mapping, con)
        summary.schema_drift += [note for file in extracted for note in file.schema_drift]
        max_rejected_pct = mapping.max_rejected_pct if mapping else None
        summary.rows_landed[feed] = land_feed(con, extracted, summary.run_id, now, max_rejected_pct)


def _check_and_publish(
    con: duckdb.DuckDBPyConnection, settings: Settings, suites: tuple[Suite, ...], summary: RunSummary
) -> None:
    as_of = summary.window.end
    summary.model_rows = build_models_task(con, settings, as_of)
    summary.validations, validations = validate_stages(con, settings.sql_variables(as_of), suites)
    publication = publish_task(con, suites, settings, summary.validations, summary.run_id, as_of)
    summary.exceptions, summary.events = publication.counts, publication.events
    summary.published = publication.published
    if publication.published:
        summary.alerts_sent = share_results(con, settings, summary)
        summary.report_path = build_report_task(con, settings, summary, validations)
        prune_task(con, settings)


@flow(name="hourly-reconciliation", log_prints=True)
def hourly_reconciliation(window_start: datetime | None = None, settings_file: str | None = None) -> RunSummary:
    """Reconcile orders, stock and carrier feeds as of the end of one hourly window."""
    # Everything that can be wrong with the configuration fails here, before any work.
    settings = load_settings(settings_file)
    suites = configured_catalog(settings.check_overrides())
    mapping = load_mapping(settings.source.mapping) if settings.source.kind == "mapped" else None
    window = hourly_window(window_start, settings.calendar.timezone)

    summary = RunSummary(run_id=uuid.uuid4().hex, window=window)
    holder = f"run {summary.run_id[:8]} for {window}"
    with writer_lock(settings.warehouse.path, holder, settings.warehouse.lock_wait_seconds):
        started = datetime.now(UTC)  # when the run took the warehouse, after any wait for the lock
        con = open_warehouse(settings.warehouse.path, started)
        try:
            _land_feeds(con, settings, mapping, summary, started)
            _check_and_publish(con, settings, suites, summary)
            record_run(con, summary, str(flow_run.get_id() or ""), started, "completed")
        except Exception:
            record_run(con, summary, str(flow_run.get_id() or ""), started, "failed")
            raise
        finally:
            con.close()
    print(summary.report(suites))
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description="Run one hourly reconciliation window.")
    parser.add_argument("--window-start", type=datetime.fromisoformat, default=None,
                        help="start of the hour to reconcile, ISO-8601 with zone (default: the last whole hour)")
    parser.add_argument("--settings", default=None, help="settings YAML (default: config/defaults.yaml)")
    args = parser.parse_args()
    hourly_reconciliation(window_start=args.window_start, settings_file=args.settings)


if __name__ == "__main__":
    main()
