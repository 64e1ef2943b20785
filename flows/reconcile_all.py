"""Reconcile every tenant for one window: one `hourly-reconciliation` run per tenant, through its deployment.

The runs go to the deployment's work pool, so any number of workers on any number of
machines share them; this flow only starts them, waits for all, and says how each ended.
A tenant that fails or crashes stops no other; the parent ends Failed naming them.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from prefect import flow, get_run_logger
from prefect.artifacts import create_markdown_artifact
from prefect.client.orchestration import get_client
from prefect.client.schemas.objects import FlowRun
from prefect.deployments import run_deployment
from prefect.runtime import flow_run
from prefect.settings import PREFECT_UI_URL
from prefect.states import Completed, Failed, State

from retaguarda.window import Window, hourly_window

TENANT_DEPLOYMENT = "hourly-reconciliation/hourly"
ARTIFACT_KEY = "tenant-outcomes"
OK_STATES = ("Completed", "Exceptions found")


@dataclass(frozen=True)
class Outcome:
    """How one tenant's run ended, as the parent saw it."""

    tenant: str
    flow_run_id: str
    state: str
    message: str
    seconds: float | None

    @property
    def ok(self) -> bool:
        return self.state in OK_STATES


def _window(window_start: datetime | str | None) -> Window:
    # the parent fixes the window once in UTC, so every tenant reconciles the same hour however late it starts
    start = datetime.fromisoformat(window_start) if isinstance(window_start, str) else window_start
    return hourly_window(start, "UTC")


def _run_name() -> str:
    try:
        return f"all tenants {_window(flow_run.parameters.get('window_start')).start:%Y-%m-%d %H:%MZ}"
    except Exception:  # noqa: BLE001 - a bad window fails in the flow body, with its own message
        return "all tenants, window not resolved"


ONE_SHOP = "(one shop)"


def _names(tenants: list[str] | None, settings_file: str | None) -> list[str]:
    """The tenants named, else every tenant in the tenants folder; without a folder, the single shop."""
    from retaguarda.tenants import tenant_names, tenants_folder

    if tenants:
        return list(tenants)
    if not tenants_folder(None, settings_file).is_dir():
        return [ONE_SHOP]  # a single shop's settings, as before tenants; the child gets no tenant
    return tenant_names(None, settings_file)


def start_runs(names: list[str], window: Window, settings_file: str | None, deployment: str) -> dict[str, FlowRun]:
    """Create one run per tenant and return at once (timeout 0): the workers run them at the same time."""
    parent = flow_run.get_id()
    runs = {}
    for name in names:
        parameters = {"window_start": window.start.isoformat(), "settings_file": settings_file}
        if name != ONE_SHOP:
            parameters["tenant"] = name
        runs[name] = run_deployment(
            deployment,
            parameters=parameters,
            flow_run_name=f"{name} {window.start:%Y-%m-%d %H:%MZ}",
            timeout=0,
            as_subflow=True,  # shown under this run in the UI
            # the same parent asking twice (a retry) gets the same child, not a second writer
            idempotency_key=f"{parent}:{name}" if parent else None,
        )
    return runs


def wait_for(runs: dict[str, FlowRun], deadline: datetime, poll_seconds: float) -> dict[str, Outcome]:
    """Poll the runs until each is final or the deadline passes; a run still going then is 'no outcome'."""
    outcomes: dict[str, Outcome] = {}
    with get_client(sync_client=True) as client:
        while True:
            for name, run in runs.items():
                if name in outcomes:
                    continue
                run = client.read_flow_run(run.id)
                if run.state and run.state.is_final():
                    outcomes[name] = _outcome(name, run)
            if len(outcomes) == len(runs):
                return outcomes
            if datetime.now(UTC) >= deadline:
                for name, run in runs.items():
                    if name not in outcomes:
                        run = client.read_flow_run(run.id)
                        state = run.state.name if run.state else "Unknown"
                        outcomes[name] = Outcome(name, str(run.id), f"no outcome ({state})",
                                                 f"not final by {deadline:%H:%M:%SZ}; its worker may be gone", None)
                return outcomes
            time.sleep(poll_seconds)


def _outcome(name: str, run: FlowRun) -> Outcome:
    seconds = (run.end_time - run.start_time).total_seconds() if run.start_time and run.end_time else None
    return Outcome(name, str(run.id), run.state.name, (run.state.message or "").strip(), seconds)


def outcomes_markdown(window: Window, outcomes: list[Outcome], ui_url: str | None) -> str:
    """One row per tenant, failures first, then by name."""
    failed = [o.tenant for o in outcomes if not o.ok]
    lines = [
        f"# All tenants, {window}",
        "",
        f"{len(outcomes) - len(failed)} of {len(outcomes)} tenants reconciled"
        + (f"; failed: {', '.join(failed)}" if failed else ""),
        "",
        "| tenant | state | message | duration | flow run |",
        "|---|---|---|---|---|",
    ]
    for o in sorted(outcomes, key=lambda o: (o.ok, o.tenant)):
        run = f"[{o.flow_run_id}]({ui_url.rstrip('/')}/runs/flow-run/{o.flow_run_id})" if ui_url else o.flow_run_id
        duration = f"{o.seconds:.0f} s" if o.seconds is not None else ""
        message = o.message.replace("|", "\\|").replace("\n", " ")
        lines.append(f"| {o.tenant} | {o.state} | {message} | {duration} | {run} |")
    return "\n".join(lines) + "\n"


@flow(name="reconcile-all", flow_run_name=_run_name, log_prints=True)
def reconcile_all(
    window_start: datetime | None = None,
    tenants: list[str] | None = None,
    settings_file: str | None = None,
    deployment: str = TENANT_DEPLOYMENT,
    timeout_minutes: float = 55,
    poll_seconds: float = 5,
) -> State:
    """Reconcile one window for every tenant (or those named) on the work pool; Failed names the tenants that failed.

    `timeout_minutes`: a run not final by then (its worker died with it) is reported as having
    no outcome, so the next hour's parent is not held up.
    """
    window = _window(window_start)
    names = _names(tenants, settings_file)
    if not names:
        return Failed(message=f"no tenants to reconcile for {window}")
    deadline = datetime.now(UTC) + timedelta(minutes=timeout_minutes)
    runs = start_runs(names, window, settings_file, deployment)
    get_run_logger().info("started %d tenant runs for %s: %s", len(runs), window, ", ".join(runs))
    outcomes = list(wait_for(runs, deadline, poll_seconds).values())
    create_markdown_artifact(
        key=ARTIFACT_KEY, markdown=outcomes_markdown(window, outcomes, PREFECT_UI_URL.value()),
        description=f"every tenant's outcome for {window}",
    )
    failed = sorted(o.tenant for o in outcomes if not o.ok)
    if failed:
        return Failed(message=f"{len(failed)} of {len(outcomes)} tenants failed for {window}: {', '.join(failed)}")
    return Completed(message=f"{len(outcomes)} tenants reconciled for {window}")


if __name__ == "__main__":
    reconcile_all()
