"""Many tenants on two real process workers, into one DuckLake on a real PostgreSQL.

One PostgreSQL server (tests/postgres_server.py) holds both the Prefect server's database and the
DuckLake catalog, each tenant in its own metadata schema; one Prefect server and two workers
serve the module (tests/prefect_cluster.py). Every tenant's published exceptions are compared
with the same tenant run alone, in this process, into its own fresh DuckDB file and feed folder.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml
from conftest import readme_automation
from postgres_server import postgres_server  # noqa: F401  (the fixture)

from tests.prefect_cluster import PrefectCluster

WINDOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)  # a Tuesday, noon in São Paulo
HEALTHY = [f"shop-{i}" for i in range(1, 6)]
BROKEN = "broken"  # its mapping file does not exist: the run fails before any work
VICTIM = "victim"  # killed with its worker half-way through
LATER = ["later-1"]  # runs on the other worker while the victim dies
SMALL_WORLD = {"days": 1, "orders_per_hour": 3, "anomaly_rate": 0.2}

# Each tenant's warehouse alone: a DuckDB file, `{tenant}` being its name, relative to the tenants folder.
ALONE_WAREHOUSE = {"path": "{tenant}/warehouse.duckdb", "lock_wait_seconds": 0}


def lake_warehouse(catalog: str, data: Path) -> dict:
    """Every tenant in one DuckLake catalog (its metadata schema is its name), its files in a folder of its own."""
    return {"kind": "ducklake", "catalog": f"postgres:{catalog}", "data_path": f"{data}/{{tenant}}/",
            "lock_wait_seconds": 0}


def write_tenants(folder: Path, warehouse: dict) -> Path:
    """The tenants folder: shared defaults with `{tenant}` in every path, one small file per shop."""
    folder.mkdir(parents=True, exist_ok=True)
    shared = {
        "warehouse": warehouse,
        "source": {"kind": "demo", "folder": "{tenant}/feed"},
        "demo": SMALL_WORLD,
        "ledger": {"export_dir": "{tenant}/exports"},
        "report": {"dir": "{tenant}/reports"},
    }
    (folder / "defaults.yaml").write_text(yaml.safe_dump(shared))
    for seed, name in enumerate([*HEALTHY, *LATER, VICTIM], start=11):
        (folder / f"{name}.yaml").write_text(yaml.safe_dump({"demo": {"seed": seed}}))
    (folder / f"{BROKEN}.yaml").write_text(yaml.safe_dump({"source": {"kind": "mapped", "mapping": "nowhere.yaml"}}))
    return folder


def published(tenant: str, folder: Path, as_of: datetime) -> list[tuple]:
    """The tenant's exceptions published at as_of, as readers see them; run ids left out (they differ)."""
    from retaguarda.tenants import load_tenant
    from warehouse.reader_copy import open_reader_copy

    con = open_reader_copy(load_tenant(tenant, folder).warehouse.target)
    try:
        return con.execute(
            "select * exclude (run_id) from published.exceptions where as_of = ? order by exception_id", [as_of]
        ).fetchall()
    finally:
        con.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, postgres_server):  # noqa: F811
    work = tmp_path_factory.mktemp("fanout")
    lake = postgres_server.create_database("lake")
    postgres_server.create_database("prefect")
    tenants = write_tenants(work / "tenants", lake_warehouse(lake, work / "lake"))
    # three runs at most per worker: six tenants need both
    with PrefectCluster(work / "cluster", workers=2, env={"RETAGUARDA_TENANTS": str(tenants)},
                        database_url=postgres_server.url("prefect"), worker_limit=3) as running:
        running.tenants = tenants
        yield running


@pytest.fixture(scope="module")
def alone(cluster, tmp_path_factory, monkeypatch_module):
    """Each tenant run alone in this process into a fresh folder of its own: what the cluster must match."""
    from flows.hourly_reconciliation import hourly_reconciliation

    folder = write_tenants(tmp_path_factory.mktemp("alone") / "tenants", ALONE_WAREHOUSE)
    monkeypatch_module.setenv("RETAGUARDA_TENANTS", str(folder))
    with cluster.client():
        for tenant in [*HEALTHY, VICTIM]:
            hourly_reconciliation(window_start=WINDOW, tenant=tenant)
    return {tenant: published(tenant, folder, WINDOW + timedelta(hours=1)) for tenant in [*HEALTHY, VICTIM]}


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


@pytest.fixture(scope="module")
def fan_out(cluster):
    """reconcile-all for WINDOW over six tenants, the parent in this process, the tenants on the workers."""
    from prefect.client.schemas.filters import (
        ArtifactFilter,
        ArtifactFilterFlowRunId,
        ArtifactFilterKey,
        FlowRunFilter,
        FlowRunFilterParentFlowRunId,
    )

    from flows.reconcile_all import reconcile_all

    started = time.monotonic()
    with cluster.client() as client:
        state = reconcile_all(window_start=WINDOW, tenants=[*HEALTHY, BROKEN], poll_seconds=1, return_state=True)
        parent = client.read_flow_run(state.state_details.flow_run_id)
        children = {run.parameters["tenant"]: run for run in client.read_flow_runs(
            flow_run_filter=FlowRunFilter(parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent.id])))}
        artifacts = client.read_artifacts(artifact_filter=ArtifactFilter(
            key=ArtifactFilterKey(any_=["tenant-outcomes"]), flow_run_id=ArtifactFilterFlowRunId(any_=[parent.id])))
    return state, parent, children, artifacts, time.monotonic() - started


def test_the_parent_fails_naming_only_the_broken_tenant(fan_out):
    state, parent, children, _, _ = fan_out
    assert state.is_failed()
    assert state.message.endswith(f": {BROKEN}"), state.message
    assert parent.name == f"all tenants {WINDOW:%Y-%m-%d %H:%MZ}"
    assert set(children) == {*HEALTHY, BROKEN}
    assert children[BROKEN].state.is_failed()
    assert [t for t in HEALTHY if not children[t].state.is_completed()] == []


def test_the_tenants_ran_at_the_same_time(fan_out):
    _, _, children, _, _ = fan_out
    runs = [children[t] for t in HEALTHY]
    first_end = min(run.end_time for run in runs)
    assert sum(run.start_time < first_end for run in runs) >= 2, "no two tenant runs overlapped"


def test_both_workers_took_tenant_runs(fan_out, cluster):
    _, _, children, _, _ = fan_out
    # Both workers may try to submit a run and one is refused; the run's own log lines (its URL)
    # are in the log of the worker whose process ran it.
    ran = {i: [t for t, run in children.items() if f"/flow-run/{run.id}" in cluster.log(f"worker-{i}")]
           for i in range(2)}
    assert ran[0] and ran[1], ran
    assert sorted(ran[0] + ran[1]) == sorted(children), ran


def test_the_artifact_lists_every_tenant_with_its_outcome(fan_out):
    _, _, children, artifacts, _ = fan_out
    assert len(artifacts) == 1
    table = artifacts[0].data
    rows = {line.split(" | ")[0].strip("| "): line for line in table.splitlines() if line.startswith("| ")
            and not line.startswith("| tenant") and not line.startswith("|---")}
    assert set(rows) == {*HEALTHY, BROKEN}
    for tenant, run in children.items():
        assert f" | {run.state.name} | " in rows[tenant]
        assert str(run.id) in rows[tenant]


def test_every_tenant_published_what_it_publishes_alone(fan_out, cluster, alone):
    for tenant in HEALTHY:
        assert published(tenant, cluster.tenants, WINDOW + timedelta(hours=1)) == alone[tenant], tenant
    assert any(alone[tenant] for tenant in HEALTHY), "the small worlds have exceptions to compare"


def wait_final(client, ids, seconds: float = 240) -> dict:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        runs = {i: client.read_flow_run(i) for i in ids}
        if all(run.state.is_final() for run in runs.values()):
            return runs
        time.sleep(1)
    raise AssertionError(f"runs not final in {seconds} s: {[r.state.name for r in runs.values()]}")


def landed_a_feed(client, flow_run_id) -> bool:
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    tasks = client.read_task_runs(flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id])))
    return any(task.name.startswith("land-feed") and task.state and task.state.is_completed() for task in tasks)


def test_a_worker_killed_mid_run_harms_no_other_tenant_and_the_rerun_equals_an_uninterrupted_run(
    fan_out, cluster, alone
):
    from prefect.deployments import run_deployment

    deployment = "hourly-reconciliation/hourly"
    start = WINDOW.isoformat()
    # README's zombie automation, on a shorter clock: heartbeats every 30 s, dead after 90 s without
    zombie = readme_automation("retaguarda zombie runs").model_copy(update={"name": "zombies in 90 s"})
    zombie.trigger.within = timedelta(seconds=90)
    with cluster.client() as client:
        client.create_automation(zombie)
        victim = run_deployment(deployment, parameters={"tenant": VICTIM, "window_start": start},
                                job_variables={"env": {"PREFECT_FLOWS_HEARTBEAT_FREQUENCY": "30"}},
                                timeout=0, as_subflow=False, work_queue_name="worker-0")
        others = [run_deployment(deployment, parameters={"tenant": t, "window_start": start},
                                 timeout=0, as_subflow=False, work_queue_name="worker-1") for t in LATER]
        deadline = time.monotonic() + 240
        while not landed_a_feed(client, victim.id):
            state = client.read_flow_run(victim.id).state
            assert not state.is_final(), f"the victim ended before it could be killed: {state.name}"
            assert time.monotonic() < deadline, "the victim never landed a feed"
            time.sleep(0.5)
        cluster.kill_worker(0)
        killed = client.read_flow_run(victim.id)
        assert not killed.state.is_completed(), killed.state.name
        # the rerun goes at once, beside the other tenant's run: the dead run's writer lock died with it
        again = run_deployment(deployment, parameters={"tenant": VICTIM, "window_start": start},
                               timeout=0, as_subflow=False, work_queue_name="worker-1")

        after = wait_final(client, [run.id for run in others])
        assert [run.state.name for run in after.values()] == [
            run.state.name for run in after.values() if run.state.is_completed()], "another tenant was harmed"
        assert all(published(t, cluster.tenants, WINDOW + timedelta(hours=1)) for t in LATER)

        rerun = wait_final(client, [again.id])[again.id]
        crashed = wait_final(client, [victim.id], seconds=240)[victim.id]
    assert rerun.state.is_completed(), (rerun.state.name, rerun.state.message)
    assert published(VICTIM, cluster.tenants, WINDOW + timedelta(hours=1)) == alone[VICTIM]
    assert crashed.state.is_crashed(), (crashed.state.name, crashed.state.message)
