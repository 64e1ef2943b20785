"""Two real runs at once: the second exits with a clear message, or waits its turn."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
from conftest import write_settings

from retaguarda.cli import BUSY, OK
from warehouse.lock import lock_path

ROOT = Path(__file__).resolve().parent.parent
WINDOW = datetime(2026, 11, 24, 14, 0, tzinfo=UTC).isoformat()


# Imports first, then waits for a line on stdin before running: the test decides when
# each run reaches for the lock, whatever the machine's load.
READY_THEN_RUN = (
    "import sys, retaguarda.cli as cli, flows.hourly_reconciliation; "
    "print('ready', flush=True); sys.stdin.readline(); sys.exit(cli.main(sys.argv[1:]))"
)


def start_run(settings: str, env: dict) -> subprocess.Popen:
    run = subprocess.Popen(
        [sys.executable, "-c", READY_THEN_RUN, "--settings", settings, "run", "--window-start", WINDOW],
        cwd=ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert run.stdout.readline().strip() == "ready"
    return run


def go(run: subprocess.Popen) -> None:
    run.stdin.write("\n")
    run.stdin.flush()


def test_second_writer_exits_or_waits(tmp_path, prefect_server):
    from prefect.settings import PREFECT_API_URL

    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value()}
    warehouse = tmp_path / "warehouse.duckdb"
    common = {
        "warehouse": {"path": warehouse},
        "source": {"kind": "demo", "folder": tmp_path / "feed"},
        # enough work that the first run still holds the warehouse while the second starts its flow run
        "demo": {"days": 3, "orders_per_hour": 40},
        "ledger": {"export_dir": tmp_path / "exports"},
    }
    impatient = write_settings(tmp_path / "impatient.yaml", **common)
    patient = write_settings(tmp_path / "patient.yaml", **{**common, "warehouse": {
        "path": warehouse, "lock_wait_seconds": 600}})

    first, second, third = start_run(impatient, env), start_run(impatient, env), start_run(patient, env)
    go(first)
    deadline = time.monotonic() + 120
    while not (lock_path(warehouse).exists() and lock_path(warehouse).read_text().strip()):
        assert first.poll() is None and time.monotonic() < deadline, first.communicate()
        time.sleep(0.1)
    go(second)
    _, second_err = second.communicate(timeout=120)
    assert first.poll() is None, "the first run ended before the second tried"
    go(third)
    _, first_err = first.communicate(timeout=300)
    _, third_err = third.communicate(timeout=300)

    assert first.returncode == OK, first_err[-2000:]
    assert second.returncode == BUSY, second_err[-2000:]
    assert "being written by another run" in second_err and f"pid {first.pid}" in second_err
    assert third.returncode == OK, third_err[-2000:]
    con = duckdb.connect(str(warehouse), read_only=True)
    runs = con.execute("select started_at, finished_at from audit.runs order by started_at").fetchall()
    assert len(runs) == 2 and runs[0][1] <= runs[1][0], "the waiting run started after the first finished"
