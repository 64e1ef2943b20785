"""Extreme but valid values (years 1 and 9999, 18-digit amounts, empty text) through publish,
the CLI's three outputs and the HTML report, on literal rows."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from conftest import AS_OF, insert_raw, write_settings
from headless_chromium import chromium, watched_page
from report_page import SHOW_EVERYTHING, open_report
from test_checks import pay, ship
from test_models import ORDER, line, seed_catalog

from expectations.catalog import load_catalog
from report.formats import Formats
from retaguarda.cli import OK, main
from retaguarda.settings import load_settings
from tasks.materialise import materialise_checks
from tasks.publish import publish
from tasks.transform import build_models
from warehouse.database import connect, migrate, set_variables

BIG = "9999999999999999.99"  # the largest decimal(18, 2)
YEAR_ONE = "0001-01-01T00:00:00Z"


@pytest.fixture
def extreme(tmp_path) -> str:
    """A warehouse file with one publication of extreme rows; its settings file."""
    settings_file = write_settings(tmp_path / "settings.yaml")
    settings = load_settings(settings_file)
    con = connect(settings.warehouse.path)
    migrate(con, AS_OF)
    set_variables(con, settings.sql_variables(AS_OF))
    seed_catalog(con)
    insert_raw(
        con, "orders",
        {**ORDER, "order_id": "O-year1", "placed_at": YEAR_ONE, "promised_ship_by": YEAR_ONE,
         "promised_delivery_by": "0001-01-05T00:00:00Z", "updated_at": "0001-01-01T00:05:00Z",
         "channel": "", "customer_id": "", "ship_to_region": "", "ship_to_postcode": ""},
        {**ORDER, "order_id": "O-big", "total_amount": BIG, "shipping_amount": "0", "discount_amount": "0"},
        {**ORDER, "order_id": "O-big2", "total_amount": BIG, "shipping_amount": "0", "discount_amount": "0"},
        {**ORDER, "order_id": "O-9999", "status": "shipped", "promised_ship_by": "9999-12-31T00:00:00Z",
         "promised_delivery_by": "9999-12-31T23:59:59Z"},
    )
    insert_raw(con, "order_lines", line("O-year1", 1, "A", 2, "100.00", "0001-01-01T00:05:00Z"),
               line("O-big", 1, "A", 1, BIG, ORDER["updated_at"]), line("O-big2", 1, "A", 1, BIG, ORDER["updated_at"]),
               line("O-9999", 1, "A", 2, "100.00", ORDER["updated_at"]))
    pay(con, "O-year1", "capture", "205.00", "0001-01-01T00:01:00Z", 1)
    pay(con, "O-9999", "capture", "205.00", "2026-11-26T12:00:00Z", 1)
    ship(con, "S-9", "O-9999", "9999-12-30T00:00:00Z", {"A": 2})
    insert_raw(con, "tracking_events", {"carrier": "loggi", "tracking_number": "LG9999999999",
                                        "event_at": YEAR_ONE, "status": "delivered", "location": ""})
    build_models(con, settings, AS_OF)
    materialise_checks(con, load_catalog(), AS_OF)
    assert publish(con, load_catalog(), settings, "r1", AS_OF).published
    con.close()
    return settings_file


def _ledger(settings_file: str) -> list[tuple]:
    con = connect(load_settings(settings_file).warehouse.path)
    try:
        return con.execute(
            "select exception_id[:12], entity_id, amount_at_risk::varchar, opened_at "
            "from exceptions.ledger order by exception_id"
        ).fetchall()
    finally:
        con.close()


def test_extreme_values_publish_and_sum_without_overflow(extreme):
    ledger = _ledger(extreme)
    assert ("O-year1" in {r[1] for r in ledger}) and sum(1 for r in ledger if r[2] == BIG) == 2
    assert any(r[3] == datetime(1, 1, 1, tzinfo=UTC) for r in ledger)
    con = connect(load_settings(extreme).warehouse.path)
    money = con.execute("select money_at_risk from exceptions.publications").fetchone()[0]
    con.close()
    assert money > 2 * Decimal(BIG)  # two 18-digit amounts and more: wider than one amount


def _opened(at: datetime, output: str) -> str:
    """How the CLI should show an opened_at: in Sao Paulo, or in UTC where that zone's time is before year 1."""
    zone, name = (UTC, "UTC") if at.year == 1 else (ZoneInfo("America/Sao_Paulo"), "BRT")
    local = at.astimezone(zone)
    return local.isoformat() if output == "json" else f"{local:%Y-%m-%d %H:%M} {name}"


@pytest.mark.parametrize("output", ["table", "json", "csv"])
def test_cli_prints_extreme_values(extreme, capsys, output):
    capsys.readouterr()
    assert main(["--settings", extreme, "exceptions", "--output", output]) == OK
    out = capsys.readouterr().out
    if output == "json":
        shown = [(r["id"], r["entity_id"], None if r["amount_at_risk"] is None else str(r["amount_at_risk"]),
                  r["opened"]) for r in json.loads(out, parse_float=Decimal)]
    elif output == "csv":  # years 1 and 2026 have different zones: each value carries its own
        shown = [(r["id"], r["entity_id"], r["amount_at_risk"] or None, r["opened"])
                 for r in csv.DictReader(io.StringIO(out))]
    else:
        lines = out.splitlines()[1:]
        shown = [(r.split()[0], r.split()[5], r.split()[8], " ".join(r.split()[9:12])) for r in lines]
    expected = [(i, entity, amount, _opened(at, output)) for i, entity, amount, at in _ledger(extreme)]
    assert sorted(shown, key=str) == sorted(expected, key=str)


def test_report_renders_extreme_values(extreme, capsys):
    capsys.readouterr()
    assert main(["--settings", extreme, "report"]) == OK
    path = Path(capsys.readouterr().out.strip())
    with chromium() as browser:  # the list is drawn by the page from its data
        page = watched_page(browser)
        open_report(page, path)
        page.page.evaluate(SHOW_EVERYTHING)
        text = page.page.evaluate("document.body.innerText")
        csv_text = page.page.evaluate("window.retaguardaReport.csv('open')")
    assert "9,999,999,999,999,999.99" in text  # en digits, written out by hand
    assert "9999999999999999.99" in csv_text
    assert "0001-01-01 00:00 UTC" in text  # three hours before it in Sao Paulo is year 0


@pytest.mark.parametrize("language", ["en", "pt-BR"])
@pytest.mark.parametrize("zone", ["America/Sao_Paulo", "Asia/Tokyo"])
def test_formats_take_the_ends_of_the_calendar(language, zone):
    f = Formats(language, zone, "BRL")
    first, last = datetime(1, 1, 1, tzinfo=UTC), datetime(9999, 12, 31, 23, 59, tzinfo=UTC)
    for value in (first, last):
        for text in (f.datetime(value), f.time(value), f.day(value)):
            assert text
    assert ("0001" in f.datetime(first)) and ("9999" in f.datetime(last))
    assert f.money(Decimal(BIG)).replace("\u00a0", " ").count("999") == 5
