"""Runs say what they found: named by their window, "Exceptions found" only when something new and serious opened."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime

import duckdb
import yaml
from conftest import README, readme_automation, write_settings
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

from flows.hourly_reconciliation import hourly_reconciliation
from tasks.audit import RunSummary

WINDOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)  # 11:00 in São Paulo (UTC-3, no daylight saving since 2019)


def test_a_run_with_new_serious_exceptions_is_told_apart_from_a_clean_one(tmp_path, prefect_server):
    settings = write_settings(
        tmp_path / "settings.yaml",
        source={"kind": "demo"},
        demo={"seed": 11, "days": 3, "orders_per_hour": 10, "anomaly_rate": 0.03},
    )
    first = hourly_reconciliation(window_start=WINDOW, settings_file=settings)
    # the same window again: everything it finds is already in the ledger
    second = hourly_reconciliation(window_start=WINDOW, settings_file=settings)
    assert isinstance(first, RunSummary) and isinstance(second, RunSummary)

    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    runs = con.execute("select run_id, flow_run_id from audit.runs order by finished_at").fetchall()
    assert [run_id for run_id, _ in runs] == [first.run_id, second.run_id]
    events = con.execute("select run_id, event, severity from exceptions.ledger_events").fetchall()
    con.close()
    serious = Counter(
        f"{event} {severity}" for run_id, event, severity in events
        if run_id == first.run_id and event in ("new", "reopened") and severity in ("high", "critical")
    )
    assert serious, "the demo world has new high or critical exceptions in its first run"
    assert not [e for e in events if e[0] == second.run_id and e[1] in ("new", "reopened")]

    with get_client(sync_client=True) as client:
        found, clean = (client.read_flow_run(flow_run_id) for _, flow_run_id in runs)
        # filtered: the session's server holds other tests' task runs, past one page
        tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[found.id])))
    assert found.name == clean.name == "2026-11-23 11:00 BRT"
    assert (found.state.type.value, found.state.name) == ("COMPLETED", "Exceptions found")
    assert (clean.state.type.value, clean.state.name) == ("COMPLETED", "Completed")
    # a run that ended in either state is not taken for a dead one once its heartbeats stop
    zombie = readme_automation("retaguarda zombie runs")
    assert {f"prefect.flow-run.{run.state.name}" for run in (found, clean)} <= zombie.trigger.expect
    counts = found.state.message.split(" for ")[0].split(", ")  # "3 new high, 1 new critical for <window>"
    assert {what: int(n) for n, what in (part.split(" ", 1) for part in counts)} == dict(serious)
    names = {task.name for task in tasks}
    assert {task.flow_run_id for task in tasks} == {found.id}
    assert {"extract-feed-orders", "land-feed-orders", "extract-feed-carrier", "land-feed-carrier"} <= names


def test_the_readme_automation_is_valid_and_listens_for_that_state():
    automation = readme_automation("retaguarda exceptions found")
    assert automation.trigger.expect == {"prefect.flow-run.Exceptions found"}
    assert automation.actions[0].type == "send-notification"


def test_the_zombie_automation_outlasts_missed_heartbeats():
    automation = readme_automation("retaguarda zombie runs")
    deployments = yaml.safe_load((README.parent / "prefect.yaml").read_text())["deployments"]
    beats = {int(d["work_pool"]["job_variables"]["env"]["PREFECT_FLOWS_HEARTBEAT_FREQUENCY"]) for d in deployments}
    assert automation.trigger.within.total_seconds() >= 3 * max(beats), "a late heartbeat is not a dead run"
    assert automation.actions[0].type == "change-flow-run-state"
