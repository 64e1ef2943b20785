"""Share a published run: the open-ledger exports, alerts from the outbox."""

from __future__ import annotations

import duckdb
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from retaguarda.settings import Settings
from tasks.alerts import deliver_outbox
from tasks.audit import RunSummary
from tasks.ledger import export_open


@task(name="share-results", retries=2, retry_delay_seconds=10, cache_policy=NO_CACHE)
def share_results(con: duckdb.DuckDBPyConnection, settings: Settings, summary: RunSummary) -> int:
    """The open-ledger exports and the outbox's alerts; this run's changes sent.

    The run's artifacts are made by the flow itself (tasks/artifacts.py), so they are the flow run's.
    """
    export_open(con, settings.ledger.export_dir)
    return deliver_outbox(con).get(summary.run_id, 0)


@task(name="deliver-earlier-alerts", cache_policy=NO_CACHE)
def deliver_earlier_alerts(con: duckdb.DuckDBPyConnection) -> int:
    """Alerts an earlier run queued but did not send (it died after publishing); changes sent.

    Failing to send them does not stop this run: they stay in the outbox for the share step.
    """
    try:
        sent = deliver_outbox(con)
    except Exception as exc:  # the notification service is down: keep reconciling
        get_run_logger().warning("earlier alerts not delivered yet, kept in audit.outbox: %s", exc)
        return 0
    if sent:
        get_run_logger().info("delivered alerts earlier runs left in the outbox: %s", sent)
    return sum(sent.values())
