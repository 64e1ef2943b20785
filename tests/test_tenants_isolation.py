"""Two tenants whose ids collide, through real flow runs: neither sees the other's rows.

Each tenant's published exceptions must equal those of the same shop run alone into a fresh
single-shop warehouse (its settings written out as a plain settings file), hour after hour;
only the exception ids differ, by the tenant's name.
"""

from __future__ import annotations

import hashlib
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import yaml
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

from flows.hourly_reconciliation import hourly_reconciliation
from retaguarda.cli import main
from retaguarda.tenants import TENANTS_VARIABLE, load_tenant

FIRST = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # a Tuesday afternoon in both shops' calendars
HOURS = (FIRST, FIRST + timedelta(hours=1))
SHARED = """
warehouse:
  path: shops/{tenant}/warehouse.duckdb
source:
  kind: demo
  folder: shops/{tenant}/feed
demo:
  days: 2
  orders_per_hour: 6
  anomaly_rate: 0.05
ledger:
  export_dir: shops/{tenant}/exports
report:
  dir: shops/{tenant}/reports
"""
TENANTS = {
    "north": {"demo": {"seed": 11}},
    "south_2": {"demo": {"seed": 29}, "calendar": {"subdivision": "RJ", "open_hour": 8},
                "thresholds": {"allocation_sla_business_hours": 4}, "report": {"language": "pt-BR"}},
}
# what an analyst compares: everything but the id
PUBLISHED = ("select check_id, entity_type, entity_id, owner, status, severity, amount_at_risk, evidence, opened_at, "
             "age_business_hours from exceptions.ledger order by all")


def md5(text: str) -> str:
    return hashlib.md5(text.encode()).hexdigest()  # noqa: S324 - an id, not a secret


def _read(path: Path, sql: str, *params: object) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def _alone_settings(tenant: str, folder: Path, tenants: Path) -> str:
    """The tenant's resolved settings as a single-shop settings file with its own fresh paths."""
    folder.mkdir()
    data = load_tenant(tenant, tenants).model_dump(mode="json", exclude={"tenant"})
    data["warehouse"]["path"] = str(folder / "warehouse.duckdb")
    data["source"]["folder"] = str(folder / "feed")
    data["ledger"]["export_dir"] = str(folder / "exports")
    data["report"]["dir"] = str(folder / "reports")
    path = folder / "settings.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    return str(path)


def write_tenants(folder: Path) -> Path:
    """The two shops' settings tree: the shared file and one file per tenant."""
    folder.mkdir()
    (folder / "defaults.yaml").write_text(SHARED)
    for name, sections in TENANTS.items():
        (folder / f"{name}.yaml").write_text(yaml.safe_dump(sections))
    return folder


@pytest.fixture(scope="module")
def runs(tmp_path_factory, prefect_server):
    root = tmp_path_factory.mktemp("tenants")
    tenants = write_tenants(root / "tenants")
    before = os.environ.get(TENANTS_VARIABLE)
    os.environ[TENANTS_VARIABLE] = str(tenants)
    try:
        alone = {name: _alone_settings(name, root / f"alone-{name}", tenants) for name in TENANTS}
        found: dict[str, list] = {name: [] for name in TENANTS}
        for hour in HOURS:
            for name in TENANTS:  # interleaved: each tenant's hour between the other's
                tenant_summary = hourly_reconciliation(window_start=hour, tenant=name)
                alone_summary = hourly_reconciliation(window_start=hour, settings_file=alone[name])
                warehouse = tenants / "shops" / name / "warehouse.duckdb"
                found[name].append({
                    "summary": tenant_summary, "alone_summary": alone_summary,
                    "tenant": _read(warehouse, PUBLISHED),
                    "alone": _read(root / f"alone-{name}" / "warehouse.duckdb", PUBLISHED),
                    "ids": _read(warehouse, "select exception_id, check_id, entity_id from exceptions.ledger"),
                    "alone_ids": _read(root / f"alone-{name}" / "warehouse.duckdb",
                                       "select exception_id, check_id, entity_id from exceptions.ledger"),
                    "orders": _read(warehouse, "select order_id, total_amount from staging.orders order by all"),
                    "alone_orders": _read(root / f"alone-{name}" / "warehouse.duckdb",
                                          "select order_id, total_amount from staging.orders order by all"),
                })
    finally:
        if before is None:
            os.environ.pop(TENANTS_VARIABLE, None)
        else:
            os.environ[TENANTS_VARIABLE] = before
    return {"root": root, "tenants": tenants, "found": found}


def test_the_tenants_ids_collide(runs):
    north, south = (runs["found"][name][-1]["orders"] for name in TENANTS)
    shared = {order_id for order_id, _ in north} & {order_id for order_id, _ in south}
    assert shared, "the two shops use the same order ids"
    # ... for different orders: the same id carries another amount in the other shop
    assert dict(north).keys() & dict(south).keys() and dict(north) != dict(south)


@pytest.mark.parametrize("name", TENANTS)
def test_each_tenant_sees_only_its_own_rows(runs, name):
    for hour in runs["found"][name]:
        assert hour["orders"] == hour["alone_orders"]
        assert hour["tenant"] == hour["alone"]
        assert len(hour["tenant"]) > 0, "the shop has exceptions to compare"


@pytest.mark.parametrize("name", TENANTS)
def test_a_second_hour_does_not_drift(runs, name):
    first, second = runs["found"][name]
    assert second["summary"].window.start == first["summary"].window.end
    assert second["summary"].exceptions == second["alone_summary"].exceptions
    assert second["summary"].events == second["alone_summary"].events
    assert second["tenant"] == second["alone"]


@pytest.mark.parametrize("name", TENANTS)
def test_ids_start_from_the_tenant(runs, name):
    hour = runs["found"][name][-1]
    assert {i for i, _, _ in hour["ids"]} == {md5(f"{name}|{check}|{entity}") for _, check, entity in hour["ids"]}
    # the single shop keeps today's ids
    assert {i for i, _, _ in hour["alone_ids"]} == {md5(f"{check}|{entity}") for _, check, entity in hour["alone_ids"]}


def test_ids_differ_across_tenants(runs):
    north, south = ({i for i, _, _ in runs["found"][name][-1]["ids"]} for name in TENANTS)
    pairs = [{(c, e) for _, c, e in runs["found"][name][-1]["ids"]} for name in TENANTS]
    assert north.isdisjoint(south)
    assert pairs[0] & pairs[1], "some check fires on the same entity id in both shops"


@pytest.mark.parametrize("name", TENANTS)
def test_runs_artifacts_and_reports_are_named_for_the_tenant(runs, name):
    summary = runs["found"][name][-1]["summary"]
    assert summary.report_path.name == f"report-{name}-{summary.window.end:%Y%m%dT%H%MZ}.html"
    assert summary.report_path.parent == runs["tenants"] / "shops" / name / "reports"
    assert f"— {name}</h1>" in summary.report_path.read_text(encoding="utf-8")
    flow_run_id = _read(runs["tenants"] / "shops" / name / "warehouse.duckdb",
                        "select flow_run_id from audit.runs where run_id = ?", summary.run_id)[0][0]
    with get_client(sync_client=True) as client:
        flow_run = client.read_flow_run(flow_run_id)
        keys = {a.key for a in client.read_artifacts(
            artifact_filter=ArtifactFilter(flow_run_id=ArtifactFilterFlowRunId(any_=[flow_run_id])))}
    assert flow_run.name.startswith(f"{name} ")
    key = name.replace("_", "-")
    assert keys == {f"{key}-reconciliation-summary", f"{key}-changes", f"{key}-exception-report"}


def test_the_cli_reads_each_tenants_own_warehouse(runs, capsys, monkeypatch):
    folder = str(runs["tenants"])
    monkeypatch.setenv(TENANTS_VARIABLE, folder)  # main() sets it from --tenants: restored after the test
    assert main(["--tenants", folder, "tenants", "--output", "json"]) == 0
    listed = {row["tenant"]: row for row in json.loads(capsys.readouterr().out)}
    assert set(listed) == set(TENANTS)
    for name in TENANTS:
        assert datetime.fromisoformat(listed[name]["last_window_start"]) == HOURS[-1]
        assert listed[name]["last_status"] == "completed"
        assert main(["--tenants", folder, "exceptions", "--all", "--output", "json", "-t", name]) == 0
        shown = {row["id"] for row in json.loads(capsys.readouterr().out)}
        active = _read(runs["tenants"] / "shops" / name / "warehouse.duckdb",
                       "select exception_id[:12] from exceptions.ledger where status <> 'resolved'")
        assert shown == {i for (i,) in active}


def test_the_schedule_reconciles_the_tenant_it_is_given(tmp_path, prefect_server, capsys, monkeypatch):
    tenants = write_tenants(tmp_path / "tenants")
    monkeypatch.setenv(TENANTS_VARIABLE, str(tenants))  # main() sets it from --tenants: restored after the test
    began = datetime.now(UTC)
    assert main(["--tenants", str(tenants), "-t", "south_2", "schedule", "--runs", "1"]) == 0
    assert " done in " in capsys.readouterr().out
    # the last whole hour before the start (or the one after, had the clock just turned), into south_2's own file
    ran = _read(tenants / "shops" / "south_2" / "warehouse.duckdb", "select window_start, status from audit.runs")
    assert len(ran) == 1 and ran[0][1] == "completed"
    assert timedelta(0) < began - ran[0][0].astimezone(UTC) <= timedelta(hours=2)
    assert not (tenants / "shops" / "north").exists()
