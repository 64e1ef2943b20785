"""A run's artifacts are the flow run's own, and say what it found against the run before.

Two real runs of one window on a demo warehouse: the first publishes, the second changes
nothing. Figures in the artifacts are compared with what each run counted (its RunSummary)
and with the warehouse's own tables, not with the queries that wrote them.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from urllib.parse import quote

import duckdb
import pytest
import yaml
from conftest import write_settings
from headless_chromium import CHROMIUM, MISSING, chromium, watched_page
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId
from prefect_ui import prefect_ui

from expectations.catalog import STAGES, all_checks, load_catalog
from flows.hourly_reconciliation import hourly_reconciliation
from report.build import report_name
from report.formats import Formats
from tasks.artifacts import CHANGES_KEY, NOTHING_CHANGED, REPORT_KEY, SUMMARY_KEY

WINDOW = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
BASE_URL = "http://reports.example.com:8080/retaguarda/"
DEMO = {"seed": 11, "days": 3, "orders_per_hour": 10, "anomaly_rate": 0.03}
FORMATS = Formats("pt-BR", "America/Sao_Paulo", "BRL")


def _settings(folder, base_url):
    return write_settings(folder / "settings.yaml", source={"kind": "demo"}, demo=DEMO,
                          report={"language": "pt-BR", "currency": "BRL", "base_url": base_url})


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, prefect_server):
    folder = tmp_path_factory.mktemp("artifacts")
    first = hourly_reconciliation(window_start=WINDOW, settings_file=_settings(folder, BASE_URL))
    again = hourly_reconciliation(window_start=WINDOW, settings_file=_settings(folder, None))
    con = duckdb.connect(str(folder / "warehouse.duckdb"), read_only=True)
    flow_runs = dict(con.execute("select run_id, flow_run_id from audit.runs").fetchall())
    # the window's amounts straight from the exception tables the runs swapped in
    money = dict(con.execute("select check_id, sum(amount_at_risk) from exceptions.current group by check_id")
                 .fetchall())
    events = con.execute(
        "select event, ledger_events.severity, ledger.check_id, ledger.entity_id from exceptions.ledger_events "
        "join exceptions.ledger using (exception_id) where run_id = ?", [first.run_id],
    ).fetchall()
    con.close()
    artifacts = {}
    with get_client(sync_client=True) as client:
        for summary in (first, again):
            flow_run_id = flow_runs[summary.run_id]
            found = client.read_artifacts(
                artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id]))
            )
            artifacts[summary.run_id] = (flow_run_id, {artifact.key: artifact for artifact in found})
    return {"runs": (first, again), "artifacts": artifacts, "money": money, "events": events}


def _table_rows(markdown: str) -> list[list[str]]:
    """Cells of the stage/check table, without the bold marks."""
    rows = [line for line in markdown.splitlines() if line.startswith("| ")]
    start = next(n for n, line in enumerate(rows) if line.startswith("| stage | check |"))
    cells = []
    for line in rows[start + 1:]:
        if line.startswith("| check | why |"):
            break
        cells.append([cell.strip().replace("**", "") for cell in line.strip("|").split("|")])
    return cells


def test_every_artifact_hangs_on_the_flow_run_not_on_a_task(two_runs):
    for flow_run_id, artifacts in two_runs["artifacts"].values():
        assert set(artifacts) == {SUMMARY_KEY, CHANGES_KEY, REPORT_KEY}
        assert {(str(a.flow_run_id), a.task_run_id) for a in artifacts.values()} == {(flow_run_id, None)}


def test_the_summary_has_a_row_per_check_in_pipeline_order(two_runs):
    first, _ = two_runs["runs"]
    markdown = two_runs["artifacts"][first.run_id][1][SUMMARY_KEY].data
    rows = _table_rows(markdown)
    catalog = load_catalog()
    assert [stage for stage, check, *_ in rows if not check] == [suite.stage.replace("_", " ") for suite in catalog]
    assert [suite.stage for suite in catalog] == [s for s in STAGES if s in {suite.stage for suite in catalog}]
    checks = {check.strip("`"): figures for _, check, *figures in rows if check}
    assert list(checks) == [check.id for check in all_checks()]
    # open per check as the run counted its exceptions; all of it is a change, from nothing
    assert {c: FORMATS.number(first.exceptions[c]) for c in checks} == {c: f[0] for c, f in checks.items()}
    assert {c: FORMATS.signed(first.exceptions[c]) for c in checks} == {c: f[1] for c, f in checks.items()}
    assert {c: FORMATS.money(two_runs["money"].get(c) or Decimal(0)) for c in checks} == {
        c: f[4] for c, f in checks.items()}
    busiest = max(checks, key=lambda c: two_runs["money"].get(c) or 0)
    assert re.fullmatch(r"R\$\xa0[\d.]+,\d\d", checks[busiest][4])  # pt-BR reais: R$ 1.234,56
    new = first.events.get("new", 0) + first.events.get("reopened", 0)
    assert sum(int(f[2].replace(".", "")) for f in checks.values()) == new > 0
    assert f"**{FORMATS.number(sum(first.exceptions.values()))} open** (the first publication" in markdown


def test_the_changes_table_lists_what_the_run_changed_new_first(two_runs):
    first, _ = two_runs["runs"]
    artifact = two_runs["artifacts"][first.run_id][1][CHANGES_KEY]
    assert artifact.type == "table"
    table = json.loads(artifact.data)
    changed = [(event, severity, check, entity) for event, severity, check, entity in two_runs["events"]
               if event in ("new", "reopened", "escalated", "resolved")]
    assert len(table) == min(len(changed), 200) > 0
    assert {(row["change"], row["severity"], row["check"], row["entity"]) for row in table} <= set(changed)
    order = [row["change"] for row in table]
    assert order == sorted(order, key=["new", "reopened", "escalated", "resolved"].index)


def test_a_rerun_that_changed_nothing_says_so_in_a_sentence(two_runs):
    _, again = two_runs["runs"]
    assert not any(again.events.values())
    artifacts = two_runs["artifacts"][again.run_id][1]
    assert (artifacts[CHANGES_KEY].type, artifacts[CHANGES_KEY].data) == ("markdown", NOTHING_CHANGED)
    summary = artifacts[SUMMARY_KEY].data
    assert NOTHING_CHANGED in summary
    # compared with the run it repeats, not with nothing: no check changed
    changes = {figures[1] for _, check, *figures in _table_rows(summary) if check}
    assert changes == {"0"} and "since the run for the window ending" in summary


def test_the_report_artifact_links_the_base_url_or_says_how_to_serve_it(two_runs):
    first, again = two_runs["runs"]
    linked = two_runs["artifacts"][first.run_id][1][REPORT_KEY]
    name = report_name(first.window.end)
    assert first.report_path.name == name
    assert linked.data == f"[Exception report {first.window}]({BASE_URL}{quote(name)})"
    unlinked = two_runs["artifacts"][again.run_id][1][REPORT_KEY]
    assert "file://" not in unlinked.data and f"`{again.report_path}`" in unlinked.data
    assert f"retaguarda serve --dir {again.report_path.parent}\n" in unlinked.data


def test_the_flow_run_page_shows_the_run_its_state_and_its_artifacts(two_runs, tmp_path_factory):
    assert Path(CHROMIUM).exists(), MISSING
    first, _ = two_runs["runs"]
    flow_run_id = two_runs["artifacts"][first.run_id][0]
    folder = tmp_path_factory.mktemp("prefect-ui")
    with prefect_ui(folder / "static") as ui, chromium() as browser:
        page = watched_page(browser)
        page.page.goto(f"{ui}/runs/flow-run/{flow_run_id}", wait_until="load")
        page.page.get_by_text("Exceptions found").first.wait_for(timeout=60_000)
        page.page.get_by_text("2026-11-23 11:00 BRT").first.wait_for(timeout=10_000)
        shot = page.screenshot(folder / "flow-run.png")
        page.page.get_by_text("Artifacts", exact=True).first.click()
        page.page.get_by_text(SUMMARY_KEY).first.wait_for(timeout=30_000)
        artifacts_shot = page.screenshot(folder / "flow-run-artifacts.png")
        page.page.get_by_text(SUMMARY_KEY).first.click()  # the artifact's own page, its markdown rendered
        page.page.get_by_text("money at risk").first.wait_for(timeout=30_000)
        summary_shot = page.screenshot(folder / "flow-run-summary.png")
    print(f"\nscreenshots for review: {shot} {artifacts_shot} {summary_shot}")
    for path in (shot, artifacts_shot, summary_shot):
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000


def test_the_readme_automation_is_accepted_by_the_server_and_reads_back(prefect_server):
    from prefect.events.schemas.automations import AutomationCore

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    snippet = readme.split("```yaml\nname: retaguarda exceptions found")[1].split("```")[0]
    automation = AutomationCore.model_validate(yaml.safe_load("name: retaguarda exceptions found" + snippet))
    with get_client(sync_client=True) as client:
        read = client.read_automation(client.create_automation(automation))
        client.delete_automation(read.id)
    assert read.trigger.expect == {"prefect.flow-run.Exceptions found"}
    assert read.trigger.match_related == automation.trigger.match_related
    assert [action.type for action in read.actions] == ["send-notification"]
