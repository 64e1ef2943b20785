"""The operators' CLI against a real warehouse built by a real flow run."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest
import yaml
from conftest import write_settings

from flows.hourly_reconciliation import hourly_reconciliation
from retaguarda.cli import BUSY, NOT_FOUND, OK, USAGE, main
from retaguarda.settings import load_settings
from warehouse.lock import writer_lock

ROOT = Path(__file__).resolve().parent.parent
WINDOW = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
SAO_PAULO = ZoneInfo("America/Sao_Paulo")  # config/defaults.yaml's calendar.timezone: BRT, UTC-3, no DST now


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


def ledger(settings: str, sql: str, *params) -> list[tuple]:
    """The warehouse read directly, not through the CLI."""
    con = duckdb.connect(str(load_settings(settings).warehouse.path), read_only=True)
    try:
        return con.execute(sql, list(params)).fetchall()
    finally:
        con.close()


def test_list_filter_and_acknowledge(warehouse_settings, capsys):
    code, out, err = cli(capsys, "--settings", warehouse_settings, "exceptions", "--stage", "payment",
                       "--output", "json", "--all")
    assert code == OK, err
    listed = json.loads(out)
    assert code == OK and listed and {row["check_id"] for row in listed} <= {
        "paid_amount_mismatch", "awaiting_payment_too_long", "cancelled_not_refunded"}
    target = next(row for row in listed if row["status"] == "open")["id"]
    code, out, _ = cli(capsys, "--settings", warehouse_settings, "ack", target[:10], "--by", "ana",
                       "--note", "refund requested", "--snooze-hours", "4")
    check_id, entity_id, by, note, until = ledger(
        warehouse_settings,
        "select check_id, entity_id, acknowledged_by, note, snoozed_until from exceptions.ledger "
        "where exception_id[:12] = ?", target)[0]
    assert code == OK and (by, note) == ("ana", "refund requested")
    local_until = until.astimezone(SAO_PAULO)
    for shown in (target, check_id, entity_id, "by      ana", "note    refund requested",
                  f"snoozed until {local_until:%Y-%m-%d %H:%M} BRT"):
        assert shown in out, out
    code, out, _ = cli(capsys, "--settings", warehouse_settings, "exceptions", "--status", "acknowledged",
                       "--output", "csv")
    assert code == OK and target in out and out.count("\n") == 2
    code, _, err = cli(capsys, "--settings", warehouse_settings, "ack", "ffffffffffff", "--by", "ana", "--note", "x")
    assert code == NOT_FOUND and "no exceptions match" in err


def test_acknowledging_again_says_who_did_and_changes_nothing(warehouse_settings, capsys):
    target = ledger(warehouse_settings, "select exception_id from exceptions.ledger where status = 'open' "
                    "order by exception_id desc limit 1")[0][0]
    code, out, _ = cli(capsys, "--settings", warehouse_settings, "ack", target, "--by", "bia", "--note", "on it")
    assert code == OK and out.startswith(f"acknowledged {target[:12]}")
    code, out, _ = cli(capsys, "--settings", warehouse_settings, "ack", target, "--by", "caio", "--note", "mine")
    assert code == OK and out.startswith(f"already acknowledged: {target[:12]}") and "by      bia" in out
    assert "nothing changed" in out
    assert ledger(warehouse_settings, "select acknowledged_by, note from exceptions.ledger where exception_id = ?",
                  target) == [("bia", "on it")]
    code, out, _ = cli(capsys, "--settings", warehouse_settings, "ack", target, "--by", "caio", "--note", "mine",
                       "--again")
    assert code == OK and "by      caio" in out
    assert ledger(warehouse_settings, "select acknowledged_by, note from exceptions.ledger where exception_id = ?",
                  target) == [("caio", "mine")]


ACTIVE_SQL = "select {} from exceptions.ledger where status <> 'resolved'"


def test_unknown_filter_values_exit_2_listing_the_valid_ones(warehouse_settings, tmp_path, capsys):
    suites = [yaml.safe_load(path.read_text()) for path in (ROOT / "expectations").glob("*.yaml")]
    stages = sorted(suite["stage"] for suite in suites)
    code, out, err = cli(capsys, "--settings", warehouse_settings, "exceptions", "--stage", "paymnet")
    assert code == USAGE and out == "" and f"valid: {', '.join(stages)}" in err
    checks = sorted(check["id"] for suite in suites for check in suite["checks"])
    code, _, err = cli(capsys, "--settings", warehouse_settings, "exceptions", "--check", "late_shipmnet")
    assert code == USAGE and f"valid: {', '.join(checks)}" in err
    # owners: the catalog's, the settings' overrides, and whoever the ledger holds
    catalog = {check["owner"] for suite in suites for check in suite["checks"]}
    in_ledger = {owner for (owner,) in ledger(warehouse_settings, "select distinct owner from exceptions.ledger")}
    settings = yaml.safe_load(Path(warehouse_settings).read_text())
    settings["checks"] = {"late_shipment": {"owner": "dc-sao-paulo"}}
    overridden = tmp_path / "settings.yaml"
    overridden.write_text(yaml.safe_dump(settings))
    code, _, err = cli(capsys, "--settings", str(overridden), "exceptions", "--owner", "nobody")
    assert code == USAGE and f"valid: {', '.join(sorted(catalog | in_ledger | {'dc-sao-paulo'}))}" in err
    code, out, _ = cli(capsys, "--settings", str(overridden), "exceptions", "--owner", "dc-sao-paulo")
    assert code == OK and "showing" not in out  # a valid owner with nothing active: an empty list


def test_limits_are_stated_and_all_lifts_them(warehouse_settings, capsys):
    active = ledger(warehouse_settings, ACTIVE_SQL.format("count(*)"))[0][0]
    assert active > 3
    note = f"showing 3 of {active:,}; --all for all"
    code, out, err = cli(capsys, "--settings", warehouse_settings, "exceptions", "--limit", "3", "--output", "json")
    assert code == OK and len(json.loads(out)) == 3 and err.strip() == note  # the data stays clean
    code, out, err = cli(capsys, "--settings", warehouse_settings, "exceptions", "--limit", "3", "--output", "csv")
    assert code == OK and len(list(csv.reader(io.StringIO(out)))) == 4 and err.strip() == note
    code, out, _ = cli(capsys, "--settings", warehouse_settings, "exceptions", "--limit", "3")
    assert code == OK and out.splitlines()[-1] == note and len(out.splitlines()) == 5
    code, out, err = cli(capsys, "--settings", warehouse_settings, "exceptions", "--all", "--output", "json")
    assert code == OK and len(json.loads(out)) == active and err == ""
    runs = ledger(warehouse_settings, "select count(*) from audit.runs")[0][0]
    code, out, err = cli(capsys, "--settings", warehouse_settings, "runs", "--limit", "1", "--output", "json")
    assert len(json.loads(out)) == 1 and (err.strip() == f"showing 1 of {runs:,}; --all for all" if runs > 1
                                          else err == "")


def test_json_numbers_and_zoned_times_match_the_ledger(warehouse_settings, capsys):
    code, out, _ = cli(capsys, "--settings", warehouse_settings, "exceptions", "--all", "--output", "json")
    listed = {row["id"]: row for row in json.loads(out, parse_float=Decimal)}
    expected = ledger(warehouse_settings, ACTIVE_SQL.format(
        "exception_id[:12], stage, amount_at_risk, opened_at, acknowledged_by, note, snoozed_until"))
    assert len(listed) == len(expected)
    assert any(amount is not None for _, _, amount, *_ in expected)
    for exception_id, stage, amount, opened, by, note, until in expected:
        row = listed[exception_id]
        assert (row["stage"], row["acknowledged_by"], row["note"]) == (stage, by, note)
        assert row["amount_at_risk"] == amount  # a JSON number, exact
        assert row["opened"] == opened.astimezone(SAO_PAULO).isoformat() and row["opened"].endswith("-03:00")
        assert row["snoozed_until"] == (until.astimezone(SAO_PAULO).isoformat() if until else None)
    code, out, _ = cli(capsys, "--settings", warehouse_settings, "exceptions", "--all", "--output", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    assert {"opened (BRT)", "snoozed_until (BRT)", "stage", "acknowledged_by", "note"} <= set(rows[0])
    opened = {exception_id: at for exception_id, _, _, at, *_ in expected}
    assert {row["id"]: row["opened (BRT)"] for row in rows} == {
        exception_id: f"{at.astimezone(SAO_PAULO):%Y-%m-%d %H:%M}" for exception_id, at in opened.items()}
    code, out, _ = cli(capsys, "--settings", warehouse_settings, "exceptions", "--limit", "1")
    assert "opened (BRT)" in out.splitlines()[0]


def test_runs_and_busy_warehouse(warehouse_settings, capsys):
    code, out, _ = cli(capsys, "--settings", warehouse_settings, "runs", "--output", "json")
    runs = json.loads(out)
    expected = ledger(warehouse_settings, "select run_id[:8], status, window_start from audit.runs "
                      "order by started_at desc")
    assert code == OK and [(r["run"], r["status"]) for r in runs] == [(run, status) for run, status, _ in expected]
    assert [r["window_start"] for r in runs] == [at.astimezone(SAO_PAULO).isoformat() for *_, at in expected]
    code, out, _ = cli(capsys, "--settings", warehouse_settings, "runs")
    assert "window_start (BRT)" in out and f"{WINDOW.astimezone(SAO_PAULO):%Y-%m-%d %H:%M}" in out
    warehouse = load_settings(warehouse_settings).warehouse.path
    with writer_lock(warehouse, "a test holding it"):
        code, _, err = cli(capsys, "--settings", warehouse_settings, "ack", runs[0]["run"], "--by", "x", "--note", "y")
    assert code == BUSY and "a test holding it" in err


def test_runs_show_why_a_run_failed(tmp_path, prefect_server, capsys):
    (tmp_path / "feed").write_text("a file where the feed folder should be")
    settings = write_settings(tmp_path / "settings.yaml", source={"kind": "demo"}, demo={"days": 1})
    with pytest.raises(OSError):
        hourly_reconciliation(window_start=WINDOW, settings_file=settings)
    code, out, _ = cli(capsys, "--settings", settings, "runs", "--output", "json")
    (error,) = ledger(settings, "select error from audit.run_errors")[0]
    assert code == OK and [(r["status"], r["errors"]) for r in json.loads(out)] == [("failed", error)]
    assert "feed" in error


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
    assert sorted(datetime.fromisoformat(r["window_start"]) for r in json.loads(out)) == [
        WINDOW + timedelta(hours=h) for h in range(3)
    ]


def test_report_on_demand(warehouse_settings, capsys):
    code, out, _ = cli(capsys, "--settings", warehouse_settings, "report", "--window-start", WINDOW.isoformat())
    path = Path(out.strip())
    assert code == OK and path.name == "report-20261124T1500Z.html" and path.stat().st_size > 10_000
    code, _, err = cli(capsys, "--settings", warehouse_settings, "report", "--window-start", "2026-01-01T00:00:00Z")
    assert code == NOT_FOUND and "no published run" in err
