"""History in minutes: daily backfill windows, --from-data, and the last window equal to a single run."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import duckdb
import pytest
from conftest import rows, write_settings

from bench.history import write_world
from flows.backfill import first_window_start, windows_between
from flows.hourly_reconciliation import hourly_reconciliation
from retaguarda.cli import USAGE, main
from retaguarda.settings import load_settings
from retaguarda.window import HOUR, daily_window

SAO_PAULO = "America/Sao_Paulo"
END = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)  # midnight in Sao Paulo
DAYS = 7  # a week of daily windows: enough to show every one published, in order


def test_daily_windows_run_midnight_to_midnight_across_daylight_saving():
    # Sao Paulo moved its clocks forward at midnight on 2018-11-04: that day had 23 hours.
    start = datetime(2018, 11, 2, 3, 0, tzinfo=UTC)
    windows = windows_between(start, datetime(2018, 11, 6, 2, 0, tzinfo=UTC), SAO_PAULO, step="day")
    assert [(w.end - w.start) / HOUR for w in windows] == [24, 24, 23, 24]
    zone = ZoneInfo(SAO_PAULO)
    assert [w.start.astimezone(zone).strftime("%d %H:%M") for w in windows] == [
        "02 00:00", "03 00:00", "04 01:00", "05 00:00"]  # the 4th had no midnight: its day began at 01:00
    assert [w.start for w in windows[1:]] == [w.end for w in windows[:-1]]
    with pytest.raises(ValueError, match="midnight"):
        daily_window(start + HOUR, SAO_PAULO)
    assert first_window_start(start + timedelta(hours=30), SAO_PAULO, "day") == start + timedelta(days=1)
    assert first_window_start(start + timedelta(minutes=90), SAO_PAULO, "hour") == start + HOUR


def test_hourly_windows_are_unchanged():
    start = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    windows = windows_between(start, start + 3 * HOUR, SAO_PAULO)
    assert [(w.start, w.end) for w in windows] == [(start + h * HOUR, start + (h + 1) * HOUR) for h in range(3)]


def _current(settings: str) -> list[tuple]:
    con = duckdb.connect(str(load_settings(settings).warehouse.path), read_only=True)
    try:
        return rows(con, "select * from exceptions.current order by all")
    finally:
        con.close()


def test_a_daily_backfill_from_data_publishes_what_a_single_run_of_its_last_window_does(
    tmp_path, prefect_server, capsys
):
    write_world(tmp_path / "feed", DAYS, 60, END)
    shutil.copytree(tmp_path / "feed", tmp_path / "single" / "feed")
    backfilled = write_settings(tmp_path / "settings.yaml", source={"kind": "folder"})
    single = write_settings(tmp_path / "single" / "settings.yaml", source={"kind": "folder"})

    assert main(["--settings", backfilled, "backfill", "--step", "day", "--from-data", "2026-11-01T00:00-03:00"]) == 0
    assert f"backfill done: {DAYS} windows run" in capsys.readouterr().out
    summary = hourly_reconciliation(window_start=END - HOUR, settings_file=single)

    current = _current(backfilled)
    assert len(current) == sum(summary.exceptions.values()) > 0
    assert current == _current(single)
    # only the last window wrote a report
    assert sorted(p.name for p in (tmp_path / "reports").glob("report-*.html")) == ["report-20261101T0300Z.html"]
    con = duckdb.connect(str(load_settings(backfilled).warehouse.path), read_only=True)
    try:
        windows = rows(con, "select window_start, window_end from audit.runs where status = 'completed' order by 1")
        published = rows(con, "select count(distinct as_of) from exceptions.publications")[0][0]
    finally:
        con.close()
    assert [(s, e) for s, e in windows] == [(w.start, w.end) for w in windows_between(END - timedelta(days=DAYS), END,
                                                                                      SAO_PAULO, "day")]
    assert published == DAYS  # every window published: the ledger's history is whole


def test_backfill_usage_errors(tmp_path, capsys):
    settings = write_settings(tmp_path / "settings.yaml", source={"kind": "folder"})
    assert main(["--settings", settings, "backfill", "--step", "day",
                 "2026-11-01T05:00:00Z", "2026-11-03T03:00:00Z"]) == USAGE
    assert "midnight" in capsys.readouterr().err
    assert main(["--settings", settings, "backfill", "--from-data", "2026-11-01T03:00:00Z",
                 "2026-11-03T03:00:00Z"]) == USAGE
    assert main(["--settings", settings, "backfill"]) == USAGE
