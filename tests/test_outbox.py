"""After the publish commit: alerts survive a SIGKILL, and a later failure leaves the run completed."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import write_settings
from webhook import webhook_block

from flows.hourly_reconciliation import hourly_reconciliation
from simulator import simulate
from warehouse.reader_copy import reader_copy_path

ROOT = Path(__file__).resolve().parent.parent
FEED_END = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
WINDOW = FEED_END - timedelta(hours=2)  # start of the hour reconciled


@pytest.fixture(scope="module")
def feed(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("feed")
    simulate(folder, start=FEED_END - timedelta(days=2), end=FEED_END, seed=7, orders_per_hour=5, anomaly_rate=0.05)
    return folder


@pytest.fixture
def webhook(prefect_server):
    with webhook_block("retaguarda-outbox-test") as hook:
        yield hook


def query(path: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return con.execute(sql).fetchall()
    finally:
        con.close()


def test_an_alert_queued_before_a_kill_is_delivered_by_the_rerun(tmp_path, feed, webhook):
    from prefect.settings import PREFECT_API_URL

    warehouse = tmp_path / "warehouse.duckdb"
    settings = write_settings(tmp_path / "settings.yaml", source={"kind": "folder", "folder": feed},
                              alerts={"block": webhook[0], "min_severity": "low"})
    env = {**os.environ, "PREFECT_API_URL": PREFECT_API_URL.value(), "PYTHONPATH": str(ROOT)}
    killed = subprocess.run(
        [sys.executable, str(ROOT / "tests" / "kill_driver.py"), "send", settings, WINDOW.isoformat()],
        env=env, cwd=ROOT, capture_output=True, text=True, timeout=600,
    )
    assert killed.returncode == -9, killed.stderr[-3000:]
    assert webhook[1] == []
    # the publication, its alert and the run's completion committed together before the kill
    published = query(warehouse, "select run_id from exceptions.publications")
    assert len(published) == 1
    assert query(warehouse, "select run_id, status from audit.runs") == [(published[0][0], "completed")]
    queued = query(warehouse, "select run_id, subject, body, sent_at from audit.outbox")
    assert queued and {(run_id, sent) for run_id, _, _, sent in queued} == {(published[0][0], None)}

    rerun = hourly_reconciliation(window_start=WINDOW, settings_file=settings)
    assert rerun.published and rerun.events == {}  # nothing changed: the rerun has no alert of its own
    # one digest per owner, each sent once
    assert sorted((m["subject"], m["body"]) for m in webhook[1]) == sorted(
        (subject, body) for _, subject, body, _ in queued)
    assert query(warehouse, "select count(*) from audit.outbox where sent_at is null") == [(0,)]
    # a third run finds nothing left to send
    hourly_reconciliation(window_start=WINDOW, settings_file=settings)
    assert len(webhook[1]) == len(queued)


def test_a_failure_after_publishing_leaves_the_run_completed(tmp_path, feed, prefect_server):
    (tmp_path / "not-a-folder").write_text("")
    settings = write_settings(tmp_path / "settings.yaml", source={"kind": "folder", "folder": feed},
                              report={"dir": tmp_path / "not-a-folder" / "reports"})
    with pytest.raises(OSError):
        hourly_reconciliation(window_start=WINDOW, settings_file=settings)
    warehouse = tmp_path / "warehouse.duckdb"
    published = query(warehouse, "select run_id from exceptions.publications")
    assert len(published) == 1
    assert query(warehouse, "select run_id, status from audit.runs") == [(published[0][0], "completed")]
    errors = query(warehouse, "select run_id, error from audit.run_errors")
    assert [run_id for run_id, _ in errors] == [published[0][0]] and "not-a-folder" in errors[0][1]
    # readers see the same: the reader copy was written after the failure
    copy = reader_copy_path(warehouse)
    assert query(copy, "select run_id, status from audit.runs") == [(published[0][0], "completed")]
    assert query(copy, "select run_id from audit.run_errors") == published
