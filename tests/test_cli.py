"""The operators' CLI against a real warehouse built by a real flow run."""

from __future__ import annotations

import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import write_settings

from flows.hourly_reconciliation import hourly_reconciliation
from retaguarda.cli import BUSY, NOT_FOUND, OK, USAGE, main
from retaguarda.settings import load_settings
from warehouse.lock import writer_lock

ROOT = Path(__file__).resolve().parent.parent
WINDOW = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def warehouse_settings(tmp_path_factory, prefect_server) -> str:
    folder = tmp_path_factory.mktemp("cli")
    settings = write_settings(
        folder / "settings.yaml",
        warehouse={"path": folder / "warehouse.duckdb"},
        source={"kind": "demo", "folder": folder / "feed"},
        demo={"days": 2, "orders_per_hour": 4},
        ledger={"export_dir": folder / "exports"},
    )
    hourly_reconciliation(window_start=WINDOW, settings_file=settings)
    return settings


def cli(capsys, *argv: str) -> tuple[int, str, str]:
    capsys.readouterr()  # drop what fixtures printed
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_help_and_exit_codes_of_the_installed_script():
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "retaguarda"), "--help"], capture_output=True, text=True)
    assert done.returncode == OK and "backfill" in done.stdout and "exit codes" in done.stdout
    done = subprocess.run([str(ROOT / ".venv" / "bin" / "retaguarda"), "nope"], capture_output=True, text=True)
    assert done.returncode == USAGE


def test_bad_settings_exit_2_naming_the_key(tmp_path, capsys):
    bad = write_settings(tmp_path / "bad.yaml", thresholds={"payment_sla_hourz": 3})
    code, _, err = cli(capsys, "--settings", bad, "check-config")
    assert code == USAGE and "thresholds.payment_sla_hourz" in err


def test_list_filter_and_acknowledge(warehouse_settings, capsys):
    code, out, err = cli(capsys, "--settings", warehouse_settings, "exceptions", "--stage", "payment",
                       "--output", "json", "--limit", "1000")
    assert code == OK, err
    listed = json.loads(out)
    assert code == OK and listed and {row["check_id"] for row in listed} <= {
        "paid_amount_mismatch", "awaiting_payment_too_long", "cancelled_not_refunded"}
    target = listed[0]["id"]
    code, out, _ = cli(capsys, "--settings", warehouse_settings, "ack", target[:10], "--by", "ana",
                       "--note", "refund requested", "--snooze-hours", "4")
    assert code == OK and "acknowledged by ana until" in out
    code, out, _ = cli(capsys, "--settings", warehouse_settings, "exceptions", "--status", "acknowledged",
                       "--output", "csv")
    assert code == OK and target in out and out.count("\n") == 2
    code, _, err = cli(capsys, "--settings", warehouse_settings, "ack", "ffffffffffff", "--by", "ana", "--note", "x")
    assert code == NOT_FOUND and "no exceptions match" in err


def test_runs_and_busy_warehouse(warehouse_settings, capsys):
    code, out, _ = cli(capsys, "--settings", warehouse_settings, "runs", "--output", "json")
    runs = json.loads(out)
    assert code == OK and [r["status"] for r in runs] == ["completed"]
    assert runs[0]["window_start"] == (WINDOW.strftime("%Y-%m-%d %H:%M"))
    warehouse = load_settings(warehouse_settings).warehouse.path
    with writer_lock(warehouse, "a test holding it"):
        code, _, err = cli(capsys, "--settings", warehouse_settings, "ack", runs[0]["run"], "--by", "x", "--note", "y")
    assert code == BUSY and "a test holding it" in err


def test_backfill_runs_windows_in_order_and_resumes(tmp_path, prefect_server, capsys):
    settings = write_settings(
        tmp_path / "settings.yaml",
        warehouse={"path": tmp_path / "warehouse.duckdb"},
        source={"kind": "demo", "folder": tmp_path / "feed"},
        demo={"days": 1, "orders_per_hour": 2},
        ledger={"export_dir": tmp_path / "exports"},
    )
    start, end = WINDOW.isoformat(), (WINDOW + timedelta(hours=2)).isoformat()
    code, out, _ = cli(capsys, "--settings", settings, "backfill", start, end)
    assert code == OK and "2 windows run" in out
    code, out, _ = cli(capsys, "--settings", settings, "backfill", start, (WINDOW + timedelta(hours=3)).isoformat())
    assert code == OK and "1 windows run" in out  # the first two had completed
    code, out, _ = cli(capsys, "--settings", settings, "runs", "--output", "json")
    assert sorted(r["window_start"] for r in json.loads(out)) == [
        (WINDOW + timedelta(hours=h)).strftime("%Y-%m-%d %H:%M") for h in range(3)
    ]


def test_report_on_demand(warehouse_settings, capsys):
    code, out, _ = cli(capsys, "--settings", warehouse_settings, "report", "--window-start", WINDOW.isoformat())
    path = Path(out.strip())
    assert code == OK and path.name == "report-20261124T1500Z.html" and path.stat().st_size > 10_000
    code, _, err = cli(capsys, "--settings", warehouse_settings, "report", "--window-start", "2026-01-01T00:00:00Z")
    assert code == NOT_FOUND and "no published run" in err
