"""Retention prunes superseded raw rows and old history, never what is still in use."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import duckdb
from conftest import AS_OF, insert_raw, rows, write_settings
from test_ledger import MONDAY, run
from test_models import ORDER, build_all

from flows.hourly_reconciliation import hourly_reconciliation
from report.build import LATEST, report_name
from retaguarda.cli import main
from retaguarda.settings import RetentionSettings, load_settings
from tasks.reference import load_reference_tables
from tasks.retention import prune, prune_reports
from warehouse.database import MACROS

KEEP = RetentionSettings(raw_days=30, history_days=90)


def test_superseded_raw_rows_go_the_latest_versions_stay(warehouse):
    insert_raw(warehouse, "orders", {**ORDER, "status": "pending_payment", "updated_at": "2026-11-26T12:00:00Z"},
               ORDER, {**ORDER, "order_id": "O-2"})
    build_all(warehouse)
    assert prune(warehouse, KEEP, AS_OF) == {}  # loaded just now: too young to prune
    assert prune(warehouse, KEEP, AS_OF + timedelta(days=31)) == {"raw.orders": 1}
    assert rows(warehouse, "select order_id, status from raw.orders order by 1") == [("O-1", "paid"), ("O-2", "paid")]


def test_old_history_goes_open_exceptions_stay(warehouse):
    later = MONDAY + timedelta(days=91)
    load_reference_tables(warehouse, load_settings(environ={}), later)
    warehouse.execute(MACROS.read_text())
    # the order values the money figure caps by, in staging.orders' shape
    warehouse.execute("create table staging.orders "
                      "(order_id varchar, total_amount decimal(18, 2), _batch_id varchar, _row_number bigint)")
    warehouse.execute("insert into exceptions.checks values "
                      "('oversold', 'allocation', 'stock_position', 'high', 'planning', 'oversold', null)")
    run(warehouse, MONDAY, ("oversold", "WH:A"), ("oversold", "WH:B"))
    run(warehouse, MONDAY + timedelta(hours=1), ("oversold", "WH:A"))  # WH:B resolved
    # Nothing is old yet, whatever the wall clock says: ages count from the latest publication.
    assert prune(warehouse, KEEP, later) == {}
    run(warehouse, later - timedelta(hours=1), ("oversold", "WH:A"))
    run(warehouse, later, ("oversold", "WH:A"))
    deleted = prune(warehouse, KEEP, MONDAY)  # `now` is ignored once something is published
    assert deleted["exceptions.ledger"] == 1 and deleted["exceptions.history"] == 3
    assert deleted["exceptions.publications"] == 2
    assert rows(warehouse, "select entity_id, status from exceptions.ledger") == [("WH:A", "open")]
    # WH:A is still open: its story stays, from the day it opened; WH:B's went with it
    assert rows(warehouse, "select event, as_of from exceptions.ledger_events") == [("new", MONDAY)]


def test_report_files_go_by_age_never_the_latest(warehouse, tmp_path):
    warehouse.execute("insert into exceptions.checks values "
                      "('oversold', 'allocation', 'stock_position', 'high', 'planning', 'oversold', null)")
    load_reference_tables(warehouse, load_settings(environ={}), MONDAY)
    warehouse.execute(MACROS.read_text())
    warehouse.execute("create table staging.orders "
                      "(order_id varchar, total_amount decimal(18, 2), _batch_id varchar, _row_number bigint)")
    names = {as_of: report_name(as_of) for as_of in
             (MONDAY - timedelta(days=100), MONDAY - timedelta(days=10), MONDAY - timedelta(days=9), MONDAY)}
    for name in [*names.values(), LATEST, "report-notadate.html"]:
        (tmp_path / name).write_text("<html></html>")
    assert prune_reports(warehouse, tmp_path, KEEP, MONDAY) == 1  # nothing published: by `now`, 100 days > 90
    run(warehouse, MONDAY - timedelta(days=9), ("oversold", "WH:A"))
    run(warehouse, MONDAY, ("oversold", "WH:A"))
    # a 9-day retention counted from the latest publication, whatever `now` says: the 10-day-old
    # report goes; the previous publication's and the latest stay
    later = MONDAY + timedelta(days=365)
    assert prune_reports(warehouse, tmp_path, RetentionSettings(raw_days=1, history_days=9), later) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [names[MONDAY - timedelta(days=9)], names[MONDAY], LATEST, "report-notadate.html"])


# Windows in 2018: retention counts from the latest publication, not from today's date.
OLD_WINDOW = datetime(2018, 6, 12, 14, 0, tzinfo=UTC)


def _snapshot(settings: str) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(load_settings(settings).warehouse.path), read_only=True)
    try:
        return {
            "ledger": rows(con, "select exception_id, status, resolved_at from exceptions.ledger order by 1"),
            "events": rows(con, "select exception_id, event, as_of from exceptions.ledger_events order by all"),
            "publications": rows(con, "select run_id, as_of from exceptions.publications order by all"),
            "history": rows(con, "select as_of, check_id, status, exceptions from exceptions.history order by all"),
            "published": rows(con, "select run_id, exception_id from published.exceptions order by all"),
        }
    finally:
        con.close()


def test_pruning_a_2018_warehouse_keeps_what_the_latest_report_needs(tmp_path, prefect_server, capsys):
    settings = write_settings(
        tmp_path / "settings.yaml",
        source={"kind": "demo"},
        demo={"days": 2, "orders_per_hour": 4},
        # Sao Paulo kept daylight saving until 2019, which the demo shop's clock does not model
        calendar={"timezone": "America/Recife"},
        retention={"raw_days": 1, "history_days": 1},
    )
    hourly_reconciliation(window_start=OLD_WINDOW - timedelta(days=2), settings_file=settings)
    hourly_reconciliation(window_start=OLD_WINDOW, settings_file=settings)
    reports = tmp_path / "reports"
    stale, latest = reports / "report-20180601T1500Z.html", reports / "report-20180612T1500Z.html"
    stale.write_text("an old report")
    (reports / "notes.html").write_text("not a report of ours")
    before = _snapshot(settings)
    assert before["ledger"] and before["published"], "the 2018 window found nothing to keep"

    assert main(["--settings", settings, "prune"]) == 0  # the wall clock says 2026: eight years on
    after = _snapshot(settings)
    latest_as_of = OLD_WINDOW + timedelta(hours=1)
    # the two-days-old window is past history_days but is the publication before the latest: kept
    assert after == before
    assert not stale.exists() and latest.exists() and (reports / "notes.html").exists()

    capsys.readouterr()
    assert main(["--settings", settings, "report"]) == 0
    assert capsys.readouterr().out.strip().endswith(latest.name)

    # An older window after pruning neither republishes nor resolves anything.
    summary = hourly_reconciliation(window_start=OLD_WINDOW - timedelta(hours=5), settings_file=settings)
    assert not summary.published
    again = _snapshot(settings)
    assert again == after
    assert max(as_of for _, as_of in again["publications"]) == latest_as_of
