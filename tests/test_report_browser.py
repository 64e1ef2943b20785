"""The exception report from a real simulated warehouse, opened from disk in headless Chromium (Playwright).

The warehouse is built with the pipeline's own steps (land, build models, publish) over several
windows, without Prefect, so the trend charts have history to draw. A feed order and SKU carry
markup, to prove data shows as text.
"""

from __future__ import annotations

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from html import unescape
from pathlib import Path

import duckdb
import pytest
from conftest import insert_raw
from headless_chromium import CHROMIUM, MISSING, chromium, watched_page
from report_page import ARTIFACTS, CHART_TEXT, FIGURES, OVERFLOW, SCREENS, WIDTHS, open_data, open_report, shown

from expectations.catalog import configured_catalog
from report.build import LATEST, build_report, report_name
from report.data_docs import DATA_DOCS_DIR, build_data_docs
from report.formats import Formats
from report.queries import ReportError
from retaguarda.settings import load_settings
from simulator import simulate
from tasks.extract import FEEDS, extract_folder
from tasks.land import land_files
from tasks.ledger import acknowledge
from tasks.materialise import materialise_checks
from tasks.publish import publish
from tasks.transform import build_models
from tasks.validate import validate_suites_with_results
from warehouse.database import connect, migrate

FEED_END = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)  # Tuesday 13:00 in Sao Paulo
# Every 12 hours over the two days before, then hourly: enough history for both trend charts.
WINDOWS = [FEED_END - timedelta(hours=h) for h in (48, 36, 24, 12, 3, 2, 1, 0)]
PAST_WINDOW = WINDOWS[2]
SKU_MARKUP = "<script>alert(1)</script>"
ORDER_MARKUP = "<img src=x onerror=alert(2)>"


def _inject_markup(con: duckdb.DuckDBPyConnection) -> None:
    """An order whose id and SKU are markup: an unknown SKU, so it becomes an exception."""
    placed = (FEED_END - timedelta(hours=40)).strftime("%Y-%m-%dT%H:%M:%SZ")
    insert_raw(con, "orders", {
        "order_id": ORDER_MARKUP, "channel": "web", "customer_id": "C-00001", "placed_at": placed,
        "status": "pending_payment", "currency": "BRL", "shipping_amount": "0.00", "discount_amount": "0.00",
        "total_amount": "10.00", "promised_ship_by": None, "promised_delivery_by": None,
        "ship_to_country": "BR", "ship_to_region": "SP", "ship_to_postcode": "01000-000",
        "cancelled_at": None, "updated_at": placed,
    })
    insert_raw(con, "order_lines", {
        "order_id": ORDER_MARKUP, "order_updated_at": placed, "line_no": 1, "sku": SKU_MARKUP,
        "quantity": 1, "unit_price": "10.00",
    })


def _settings(folder: Path, language: str = "en"):
    return load_settings(environ={
        "RETAGUARDA__REPORT__DIR": str(folder), "RETAGUARDA__REPORT__LANGUAGE": language,
    })


def build_world(folder: Path) -> dict:
    """A warehouse published over WINDOWS, its validation pages, and the reports in en and pt-BR."""
    simulate(folder / "feed", start=FEED_END - timedelta(days=3), end=FEED_END, seed=5, orders_per_hour=6,
             anomaly_rate=0.03)
    settings = _settings(folder / "reports")
    suites = configured_catalog(settings.check_overrides())
    con = connect(folder / "warehouse.duckdb")
    migrate(con, FEED_END)
    for feed in FEEDS:
        land_files(con, list(extract_folder(folder / "feed", feed)), "load", FEED_END)
    _inject_markup(con)
    runs = {}
    for as_of in WINDOWS:
        if as_of == WINDOWS[-1]:
            # Someone is on it: the report counts it as being handled.
            first = con.execute("select min(exception_id) from exceptions.ledger where status = 'open'").fetchone()[0]
            acknowledge(con, first, "ana", "calling the carrier", as_of - timedelta(minutes=30))
        build_models(con, settings, as_of)
        runs[as_of] = uuid.uuid4().hex
        materialise_checks(con, suites, as_of)
        assert publish(con, suites, settings, runs[as_of], as_of).published
    _, validations = validate_suites_with_results(con, settings.sql_variables(FEED_END), suites)
    docs = build_data_docs(validations, folder / "reports" / DATA_DOCS_DIR, run_name=runs[FEED_END],
                           run_time=FEED_END)
    english = build_report(con, settings)
    portuguese = build_report(con, _settings(folder / "relatorios", "pt-BR"))
    return {"con": con, "folder": folder, "settings": settings, "runs": runs, "docs": docs,
            "validations": validations, "en": english, "pt-BR": portuguese}


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    built = build_world(tmp_path_factory.mktemp("report"))
    yield built
    built["con"].close()


def test_chromium_is_installed():
    assert Path(CHROMIUM).exists(), MISSING


@pytest.fixture(scope="module")
def browser():
    with chromium() as launched:
        yield launched


def ledger_figures(con: duckdb.DuckDBPyConnection, as_of: datetime) -> dict[str, float]:
    open_now = con.execute("select count(*) from exceptions.ledger where status <> 'resolved'").fetchone()[0]
    # each order counted once, as the publish measured it (tests/test_ledger.py proves the measure)
    money = con.execute("select money_at_risk from exceptions.publications where as_of = ?", [as_of]).fetchone()[0]
    events = dict(con.execute(
        "select event, count(*) from exceptions.ledger_events where as_of = ? group by event", [as_of]
    ).fetchall())
    return {"open": open_now, "money_at_risk": float(money), "resolved": events.get("resolved", 0),
            "new": events.get("new", 0) + events.get("reopened", 0)}


def problems(page) -> list:
    """Console errors and warnings, uncaught exceptions, browser log errors and dialogs."""
    # Playwright reports the browser's own log entries (blocked loads, CSP) as console messages too
    console = [f"{m.type}: {m.text}" for m in page.console if m.type in ("error", "warning", "assert")]
    return console + page.errors + page.dialogs


def requests(page) -> list[str]:
    return list(page.requests)


def kpis(page) -> dict[str, dict[str, str]]:
    return page.evaluate(
        "Object.fromEntries([...document.querySelectorAll('[data-kpi]')].map(card => [card.dataset.kpi, "
        "{value: card.dataset.value, text: card.querySelector('.kpi-value').textContent}]))"
    )


def visible_rows(page) -> int:
    """Rows passing the filters; the page draws the first 100 and the rest as the reader scrolls."""
    count = shown(page)
    assert page.evaluate("document.querySelectorAll('#open-table tbody tr.item').length") == min(count, 100)
    return count


def choose(page, select_id: str, value: str) -> None:
    """Pick an option the way a person does: the select changes and tells its listeners."""
    page.evaluate(
        f"(() => {{ const s = document.getElementById({select_id!r}); s.value = {value!r}; "
        "s.dispatchEvent(new Event('change', {bubbles: true})); })()"
    )


def test_the_report_opens_from_disk_offline_and_shows_the_ledgers_figures(world, browser):
    latest = world["en"].parent / LATEST
    assert world["en"].name == report_name(FEED_END) == "report-20261124T1600Z.html"
    assert latest.read_text() == world["en"].read_text()
    page = watched_page(browser)
    open_report(page, latest)

    assert problems(page) == []
    assert requests(page) == [latest.resolve().as_uri()], "the page loads nothing but itself"
    shown = kpis(page)
    expected = ledger_figures(world["con"], FEED_END)
    formats = Formats("en", "America/Sao_Paulo", "BRL")
    for key in ("open", "new", "resolved"):
        assert int(shown[key]["value"]) == expected[key], key
        assert shown[key]["text"] == formats.number(expected[key]), key
    assert float(shown["money_at_risk"]["value"]) == pytest.approx(expected["money_at_risk"])
    assert shown["money_at_risk"]["text"] == formats.money(expected["money_at_risk"])
    assert expected["open"] > 0 and expected["new"] > 0
    assert re.fullmatch(r"\d{1,3}\.\d%", shown["on_time_shipment"]["text"])
    assert visible_rows(page) == expected["open"]

    screenshot = page.screenshot(world["folder"] / "screenshot.png")
    print(f"\nscreenshot for review: {screenshot}")
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and screenshot.stat().st_size > 10_000


def test_the_list_filters_by_stage_owner_and_severity_and_exports_what_is_shown(world, browser, tmp_path):
    con = world["con"]
    page = watched_page(browser)
    open_report(page, world["en"])
    by_stage = dict(con.execute(
        "select stage, count(*) from exceptions.ledger where status <> 'resolved' group by stage"
    ).fetchall())
    for stage, count in by_stage.items():
        choose(page, "filter-stage", stage)
        assert visible_rows(page) == count, stage
    stage, owner, severity = con.execute(
        "select stage, owner, severity from exceptions.ledger where status <> 'resolved' "
        "group by all order by count(*) desc limit 1"
    ).fetchone()
    choose(page, "filter-stage", stage)
    choose(page, "filter-owner", owner)
    choose(page, "filter-severity", severity)
    expected = con.execute(
        "select count(*) from exceptions.ledger where status <> 'resolved' and stage = ? and owner = ? "
        "and severity = ?", [stage, owner, severity],
    ).fetchone()[0]
    assert visible_rows(page) == expected
    assert page.evaluate("document.getElementById('open-count').textContent").startswith(f"{expected} of ")

    lines = page.evaluate("window.retaguardaReport.csv('open')").splitlines()
    assert lines[0].startswith("exception_id,severity,stage,check_id")
    assert len(lines) == expected + 1
    assert all(f",{severity},{stage}," in line for line in lines[1:])
    # the page computes the ledger's ids rather than carry them
    assert sorted(line.split(",")[0] for line in lines[1:]) == sorted(row[0] for row in con.execute(
        "select exception_id from exceptions.ledger where status <> 'resolved' and stage = ? and owner = ? "
        "and severity = ?", [stage, owner, severity]).fetchall())
    with page.page.expect_download(timeout=10_000) as download:  # a real download
        page.evaluate("document.querySelector('button[data-download=\"open\"]').click()")
    assert download.value.suggested_filename == "open-exceptions-20261124T1600Z.csv"
    downloaded = tmp_path / download.value.suggested_filename
    download.value.save_as(downloaded)
    assert downloaded.read_text(encoding="utf-8-sig").splitlines() == lines

    choose(page, "filter-stage", "")
    choose(page, "filter-owner", "")
    choose(page, "filter-severity", "")
    page.evaluate("document.querySelectorAll('#open-table thead button.sort')[6].click()")  # age
    rows = page.evaluate("window.retaguardaReport.csv('open')").splitlines()[1:]
    ages = [float(row.split(",")[10] or "-1") for row in rows]
    assert len(ages) == visible_rows(page) and ages == sorted(ages, reverse=True) and ages[0] > ages[-1]
    assert problems(page) == []


def test_markup_in_the_data_shows_as_text_and_never_runs(world, browser):
    source = world["en"].read_text()
    assert SKU_MARKUP not in source and ORDER_MARKUP not in source
    assert "\\u003cscript\\u003ealert(1)\\u003c/script\\u003e" in source  # inside the list's JSON
    assert "\\u003cimg src=x onerror=alert(2)\\u003e" in source
    assert unescape("&lt;img src=x onerror=alert(2)&gt;") == ORDER_MARKUP

    page = watched_page(browser)
    open_report(page, world["en"])
    page.page.fill("#filter-text", "onerror=alert(2)")
    assert visible_rows(page) >= 1
    page.evaluate("document.querySelector('#open-table tr.item').click()")  # its details, evidence included
    text = page.evaluate("document.body.innerText")
    assert SKU_MARKUP in text and ORDER_MARKUP in text
    assert page.evaluate("document.querySelectorAll('img').length") == 0
    scripts = page.evaluate("[...document.scripts].map(s => [s.type, s.id, s.src])")
    data_blocks = ("messages", "formula-starts", "page-settings")
    assert all(kind == "application/json" and (name.startswith("data-") or name in data_blocks) and not src
               for kind, name, src in scripts[:-1])
    assert scripts[-1] == ["", "", ""]  # the page's own inline script, last
    assert page.dialogs == []
    assert requests(page) == [world["en"].resolve().as_uri()]
    assert SKU_MARKUP in page.evaluate("window.retaguardaReport.csv('open')")


def test_the_portuguese_report_speaks_portuguese_and_writes_brazilian_numbers(world, browser):
    page = watched_page(browser)
    open_report(page, world["pt-BR"])
    assert problems(page) == []
    assert page.evaluate("document.documentElement.lang") == "pt-BR"
    assert page.evaluate("document.querySelector('h1').textContent") == "Relatório de exceções"
    shown = kpis(page)
    expected = ledger_figures(world["con"], FEED_END)
    formats = Formats("pt-BR", "America/Sao_Paulo", "BRL")
    assert shown["money_at_risk"]["text"] == formats.money(expected["money_at_risk"])
    assert re.fullmatch(r"R\$\u00a0\d{1,3}(\.\d{3})*,\d{2}", shown["money_at_risk"]["text"])
    assert re.fullmatch(r"\d{1,3},\d%", shown["on_time_shipment"]["text"])
    body = page.evaluate("document.body.innerText")
    assert "Posição em 24/11/2026 13:00" in body  # 16:00 UTC in Sao Paulo
    assert "Exceções abertas" in body and "Open exceptions" not in body
    choose(page, "filter-stage", "payment")
    assert page.evaluate("document.getElementById('open-count').textContent").endswith("exibidas")


def test_a_past_window_is_rendered_as_of_then_and_leaves_latest_alone(world):
    con, settings = world["con"], world["settings"]
    latest = (world["en"].parent / LATEST).read_text()
    past = build_report(con, settings, run_id=world["runs"][PAST_WINDOW])
    assert past.name == report_name(PAST_WINDOW)
    assert (world["en"].parent / LATEST).read_text() == latest
    html = past.read_text()
    assert "data-past-window" in html
    open_then, money_then = con.execute(
        "select sum(exceptions), (select money_at_risk from exceptions.publications where as_of = ?) "
        "from exceptions.history where as_of = ? and status <> 'resolved'",
        [PAST_WINDOW, PAST_WINDOW],
    ).fetchone()
    assert f'data-kpi="open" data-value="{open_then}"' in html
    assert f'data-value="{float(money_then)}"' in html
    listed = open_data(html)
    assert listed["n"] == len(listed["columns"]["entity_id"]) == open_then  # the exceptions open then


def test_the_validation_pages_hold_the_runs_validations_and_are_linked_from_the_report(world, browser):
    docs = world["docs"]
    assert docs.name == "index.html" and docs.exists()
    html = world["en"].read_text()
    href = re.search(r'class="docs-link" href="([^"]+)"', html).group(1)
    assert (world["en"].parent / href).resolve() == docs.resolve()
    index = docs.read_text()
    assert world["runs"][FEED_END] in index and "order_capture" in index
    # This run's page per stage, each listing every expectation GX validated in it.
    stage_pages = re.findall(r'<a href="(data_docs/[^"]+/[^"]+\.html)">', html)
    assert len(stage_pages) == len(world["validations"])
    by_suite = {result.suite_name: result for result in world["validations"]}
    for href in stage_pages:
        page = watched_page(browser)
        page.open(world["en"].parent / href)
        suite = page.evaluate("document.querySelector('h1').firstChild.textContent.trim()")
        checks = page.evaluate("[...document.querySelectorAll('tbody tr td:first-child code')].map(c => c.textContent)")
        assert checks == [r.expectation_config.meta["check_id"] for r in by_suite[suite].results], suite
        assert problems(page) == [] and requests(page) == [(world["en"].parent / href).resolve().as_uri()]


def test_an_empty_warehouse_or_an_unknown_run_says_what_is_missing(warehouse, tmp_path):
    settings = _settings(tmp_path)
    with pytest.raises(ReportError, match="nothing is published yet"):
        build_report(warehouse, settings)
    with pytest.raises(ReportError, match="run nope published nothing"):
        build_report(warehouse, settings, run_id="nope")


def sized_page(browser, width: int, height: int = 900):
    page = watched_page(browser)
    page.page.set_viewport_size({"width": width, "height": height})
    return page


@pytest.mark.parametrize("language", ["en", "pt-BR"])
def test_screenshots_at_phone_and_desktop_sizes(world, browser, language):
    for screen, (width, height) in SCREENS.items():
        page = sized_page(browser, width, height)
        open_report(page, world[language])
        page.evaluate("document.querySelector('#open-table tr.item').click()")  # one row's details, open
        path = page.screenshot(ARTIFACTS / f"report-{language}-{screen}-{width}x{height}.png")
        print(f"\nscreenshot for review: {path}")
        assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and path.stat().st_size > 10_000
        assert problems(page) == []


@pytest.mark.parametrize("language", ["en", "pt-BR"])
@pytest.mark.parametrize("width", WIDTHS)
def test_nothing_overflows_and_charts_read_at_every_width(world, browser, language, width):
    page = sized_page(browser, width)
    open_report(page, world[language])
    page.evaluate("document.querySelector('#open-table tr.item').click()")
    assert page.evaluate(OVERFLOW) == []
    sizes = page.evaluate(CHART_TEXT)
    assert sizes and min(sizes) >= 10, sizes
    heights = page.evaluate("[...document.querySelectorAll('#open-table tr.item')].map(r => r.offsetHeight)")
    assert heights and max(heights) <= 120, max(heights)  # two lines, not the ~300 px of a row with its evidence
    for figure in page.evaluate(FIGURES):
        assert figure["text"] in (figure["full"], figure["compact"]) and figure["title"] == figure["full"], figure


def test_a_row_opens_its_evidence_and_history_in_place(world, browser):
    con = world["con"]
    page = watched_page(browser)
    open_report(page, world["en"])
    first = page.evaluate("window.retaguardaReport.exceptionId(window.retaguardaReport.shown()[0])")
    page.evaluate("document.querySelector('#open-table tr.item').click()")
    detail = page.evaluate("document.querySelector('#open-table tr.detail').innerText")
    check_id, entity_id, evidence = con.execute(
        "select check_id, entity_id, evidence from exceptions.ledger where exception_id = ?", [first]
    ).fetchone()
    assert first in detail
    for key in json.loads(evidence):
        assert key.replace("_", " ") in detail
    events = con.execute(
        "select count(*) from exceptions.ledger_events where exception_id = ? and as_of <= ?", [first, FEED_END]
    ).fetchone()[0]
    assert events > 0
    assert page.evaluate("document.querySelectorAll('#open-table tr.detail .history li').length") == events
    page.evaluate("document.querySelector('#open-table tr.item').click()")  # and closes again
    assert page.evaluate("document.querySelectorAll('#open-table tr.detail').length") == 0
    assert problems(page) == []


def test_clicking_a_worst_offender_filters_the_list_to_it(world, browser):
    con = world["con"]
    run_id = world["runs"][FEED_END]
    page = watched_page(browser)
    open_report(page, world["en"])
    for dimension in ("carrier", "sku", "owner"):
        name = page.evaluate(f"document.querySelector('tr.pick[data-dimension=\"{dimension}\"]')?.dataset.name")
        if name is None:
            continue
        page.evaluate(f"document.querySelector('tr.pick[data-dimension=\"{dimension}\"]').click()")
        expected = con.execute(
            "select count(distinct exception_id) from published.exception_links where run_id = ? and dimension = ? "
            "and name = ?", [run_id, dimension, name],
        ).fetchone()[0]
        assert visible_rows(page) == expected > 0, dimension
        page.evaluate("window.retaguardaReport.clearOffender(); "
                      "document.getElementById('filter-owner').value = ''; window.retaguardaReport.applyFilters()")
    assert problems(page) == []


def test_report_files_are_readable_by_everyone(world):
    for path in (world["en"], world["en"].parent / LATEST, world["pt-BR"]):
        assert path.stat().st_mode & 0o777 == 0o644, path
