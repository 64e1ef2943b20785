"""Share a published run: Prefect artifacts, the open-ledger exports, alerts on change."""

from __future__ import annotations

import duckdb
from prefect import task
from prefect.cache_policies import NO_CACHE

from retaguarda.settings import Settings
from tasks.alerts import send_alerts
from tasks.artifacts import publish_artifacts
from tasks.audit import RunSummary
from tasks.ledger import export_open


@task(name="share-results", retries=2, retry_delay_seconds=10, cache_policy=NO_CACHE)
def share_results(con: duckdb.DuckDBPyConnection, settings: Settings, summary: RunSummary) -> int:
    """Artifacts in the Prefect UI, the open-ledger exports, and alerts on change."""
    window = str(summary.window)
    publish_artifacts(con, summary.run_id, window, summary.events)
    export_open(con, settings.ledger.export_dir)
    return send_alerts(con, summary.run_id, window, settings.alerts.block, settings.alerts.min_severity)
