"""The temporary Prefect server of `retaguarda run`: a clear time-out, and no server left by a killed run."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from conftest import write_settings

from retaguarda.cli import NO_SERVER
from retaguarda.server import STARTING, TIMEOUT_VARIABLE

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = str(ROOT / ".venv" / "bin" / "retaguarda")
SERVER_APP = "prefect.server.api.server:create_app"


def _environment(**extra: str) -> dict[str, str]:
    """This process's environment without a Prefect API, so the CLI starts its own server."""
    kept = {name: value for name, value in os.environ.items()
            if name not in ("PREFECT_API_URL", TIMEOUT_VARIABLE) and not name.startswith("RETAGUARDA")}
    return {**kept, **extra}


def _demo_settings(folder: Path) -> str:
    return write_settings(
        folder / "settings.yaml", warehouse={"path": folder / "warehouse.duckdb"},
        source={"kind": "demo", "folder": folder / "feed"}, demo={"days": 2, "orders_per_hour": 4},
        report={"dir": folder / "reports"}, ledger={"export_dir": folder / "exports"},
    )


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        found += [int(child) for child in task.read_text().split()]
    return found


def _servers_of(pid: int) -> list[int]:
    servers = []
    for child in _children(pid):
        try:
            command = Path(f"/proc/{child}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if SERVER_APP in command:
            servers.append(child)
    return servers


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for a parent that is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "State:\tZ" not in status


def test_a_server_that_does_not_start_in_time_gives_one_message_and_exit_5(tmp_path):
    # one second cannot start it: its imports alone take longer
    done = subprocess.run(
        [SCRIPT, "--settings", _demo_settings(tmp_path), "run", "--window-start", "2026-11-24T14:00:00Z"],
        capture_output=True, text=True, env=_environment(**{TIMEOUT_VARIABLE: "1"}), timeout=300,
    )
    assert done.returncode == NO_SERVER, done.stderr
    assert STARTING in done.stderr and TIMEOUT_VARIABLE in done.stderr and "PREFECT_API_URL" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "warehouse.duckdb").exists()  # nothing ran


def test_killing_a_run_stops_the_server_it_started(tmp_path):
    log = (tmp_path / "run.log").open("w")
    run = subprocess.Popen(
        [SCRIPT, "--settings", _demo_settings(tmp_path), "run", "--window-start", "2026-11-24T14:00:00Z"],
        stdout=log, stderr=subprocess.STDOUT, env=_environment(), start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        # the flow has begun, so the server answered and the run is working
        while "Beginning flow run" not in (tmp_path / "run.log").read_text():
            assert run.poll() is None, (tmp_path / "run.log").read_text()
            assert time.monotonic() < deadline, "the run did not begin in 300 s"
            time.sleep(0.5)
        servers = _servers_of(run.pid)
        assert len(servers) == 1 and _alive(servers[0])
        run.send_signal(signal.SIGKILL)
        run.wait(timeout=30)
        deadline = time.monotonic() + 30
        while _alive(servers[0]) and time.monotonic() < deadline:
            time.sleep(0.5)
        assert not _alive(servers[0]), "the killed run's Prefect server is still running"
    finally:
        if run.poll() is None:
            run.kill()
            run.wait()
        log.close()
    assert STARTING in (tmp_path / "run.log").read_text()
