"""The report's words and formats in English and Brazilian Portuguese, on literal values."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from html.parser import HTMLParser
from pathlib import Path
from string import Formatter

import pytest
from conftest import write_settings
from headless_chromium import chromium, watched_page
from report_page import SHOW_EVERYTHING, open_report

from expectations.catalog import all_checks
from flows.hourly_reconciliation import hourly_reconciliation
from report import i18n
from report.formats import Formats
from report.i18n import LABELS, MESSAGES, Translator
from report.queries import Headline, OpenException, Publication, ReportData, TrendPoint, load_report_data
from report.render import render_report, script_json
from retaguarda.settings import load_settings
from sources import problems
from sources.canonical import ORDER_STATUSES, TRACKING_STATUSES
from tasks.materialise import EXCEPTION_COLUMNS
from warehouse.database import connect, identifier, prepare_session

ROOT = Path(__file__).resolve().parent.parent

AS_OF = datetime(2026, 11, 28, 17, 0, tzinfo=UTC)  # 14:00 in Sao Paulo
ZONE = "America/Sao_Paulo"


@pytest.mark.parametrize(("language", "expected"), [
    ("en", ["1,234,567", "1,234.50", "R$1,234.56", "-R$5.00", "R$0.00", "93.5%", "2026-11-28 14:00", "Nov 28",
            "+12", "\u22123"]),
    ("pt-BR", ["1.234.567", "1.234,50", "R$\u00a01.234,56", "-R$\u00a05,00", "R$\u00a00,00", "93,5%",
               "28/11/2026 14:00", "28/11", "+12", "\u22123"]),
])
def test_numbers_money_and_times_are_written_for_the_language(language, expected):
    f = Formats(language, ZONE, "BRL")
    assert [
        f.number(1234567), f.number(Decimal("1234.5"), 2), f.money(Decimal("1234.56")), f.money(-5),
        f.money(Decimal("-0.001")), f.percent(0.9351), f.datetime(AS_OF), f.day(AS_OF), f.signed(12), f.signed(-3),
    ] == expected


def test_other_currencies_use_their_symbol_or_code():
    assert Formats("en", ZONE, "USD").money(1234.5) == "US$1,234.50"
    assert Formats("pt-BR", ZONE, "EUR").money(1234.5) == "€\u00a01.234,50"
    assert Formats("en", ZONE, "ARS").money(1234.5) == "ARS\u00a01,234.50"
    assert Formats("pt-BR", ZONE, "ARS").money(1234.5) == "ARS\u00a01.234,50"


@pytest.mark.parametrize(("language", "expected"), [
    ("en", ["R$6.97M", "-R$1.2K", "12.3K", "950"]),
    ("pt-BR", ["R$\u00a06,97\u00a0mi", "-R$\u00a01,2\u00a0mil", "12,3\u00a0mil", "950"]),
])
def test_compact_money_and_counts(language, expected):
    f = Formats(language, ZONE, "BRL")
    shown = [f.compact_money(6_970_000), f.compact_money(-1_200, 1), f.compact_number(12_345), f.compact_number(950)]
    assert shown == expected


def test_times_follow_the_configured_zone():
    assert Formats("en", "UTC", "BRL").datetime(AS_OF) == "2026-11-28 17:00"
    assert Formats("pt-BR", "Europe/Lisbon", "BRL").datetime(AS_OF) == "28/11/2026 17:00"


def test_every_message_and_label_exists_in_both_languages_with_the_same_placeholders():
    for message_id, (english, portuguese) in MESSAGES.items():
        assert english.strip() and portuguese.strip(), message_id
        placeholders = [{name for _, name, _, _ in Formatter().parse(text) if name} for text in (english, portuguese)]
        assert placeholders[0] == placeholders[1], message_id
    for value, (english, portuguese) in LABELS.items():
        assert english.strip() and portuguese.strip(), value


def test_labels_translate_and_unknown_ones_show_their_id():
    assert Translator("pt-BR").label("late_shipment") == "Envio atrasado"
    assert Translator("en").label("a_check_added_later") == "a_check_added_later"
    with pytest.raises(ValueError, match="language"):
        Translator("fr")


def test_json_for_the_page_cannot_close_its_script_element():
    text = str(script_json({"sku": "</script><script>alert(1)</script>", "note": "a & b > c"}))
    assert "<" not in text and ">" not in text and "&" not in text
    assert json.loads(text) == {"sku": "</script><script>alert(1)</script>", "note": "a & b > c"}


def _data() -> ReportData:
    item = OpenException(
        exception_id="e1", check_id="late_shipment", stage="picking_packing", entity_type="order",
        entity_id="<b>O-1</b>", owner="warehouse-ops", status="open", severity="high", opened_at=AS_OF,
        age_business_hours=5.5, amount_at_risk=Decimal("1234.56"),
        evidence={"promised_ship_by": "2026-11-27 12:00:00+00", "hours_late": Decimal("29.50"),
                  "sku": "<script>alert(1)</script>"},
        acknowledged_by=None,
    )
    return ReportData(
        publication=Publication("run-1", AS_OF, AS_OF, True, None),
        headline=Headline(open=1, acknowledged=0, money_at_risk=Decimal("1234.56"), open_before=None, new=1,
                          reopened=0, escalated=0, resolved=0, ship_due=8, ship_on_time=7, delivery_due=0,
                          delivery_on_time=0),
        by_stage_severity=[("picking_packing", "high", 1, Decimal("1234.56"))],
        trend=[TrendPoint(AS_OF, {"critical": 0, "high": 1, "medium": 0, "low": 0}, Decimal("1234.56"), 1, 0)],
        offenders=[],
        open_exceptions=[item],
    )


def test_the_page_switches_its_words_and_formats_with_the_language():
    english = render_report(_data(), "en", ZONE, "BRL", AS_OF)
    portuguese = render_report(_data(), "pt-BR", ZONE, "BRL", AS_OF)
    assert '<html lang="en">' in english and '<html lang="pt-BR">' in portuguese
    for words in ("Exception report", "Open exceptions", "Late shipment", "Picking and packing", "Download CSV"):
        assert words in english and words not in portuguese
    for words in ("Relatório de exceções", "Exceções abertas", "Envio atrasado", "Separação e embalagem", "Baixar CSV"):
        assert words in portuguese and words not in english
    assert "R$1,234.56" in english and "R$\u00a01.234,56" in portuguese
    assert "2026-11-28 14:00" in english and "28/11/2026 14:00" in portuguese
    assert "87.5%" in english and "87,5%" in portuguese  # 7 of 8 shipped on time
    # The list and its evidence are drawn by the page's script: tests/test_report_layout.py reads them in Chromium.


def test_data_in_the_page_is_escaped_as_text():
    html = render_report(_data(), "en", ZONE, "BRL", AS_OF)
    assert "<b>O-1</b>" not in html and "\\u003cb\\u003eO-1\\u003c/b\\u003e" in html  # in the list's JSON
    assert "<script>alert(1)" not in html and "\\u003cscript\\u003ealert(1)" in html
    assert len(re.findall(r"<script[ >]", html)) == html.count("</script>")  # only our own elements


def test_a_window_without_exceptions_still_renders():
    empty = ReportData(
        publication=Publication("run-1", AS_OF, AS_OF, True, AS_OF),
        headline=Headline(open=0, acknowledged=0, money_at_risk=Decimal(0), open_before=0, new=0, reopened=0,
                          escalated=0, resolved=0, ship_due=0, ship_on_time=0, delivery_due=0, delivery_on_time=0),
        by_stage_severity=[], trend=[], offenders=[], open_exceptions=[],
    )
    html = render_report(empty, "en", ZONE, "BRL", AS_OF)
    assert "no orders due in the last 7 days" in html and "0 of 0 shown" in html


# --- everything the reader sees in pt-BR, on a real run -----------------------------------------------------

WINDOW = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)


class _VisibleText(HTMLParser):
    """The text a reader sees: text outside script and style, SVG titles, and the attributes shown on hover."""

    SHOWN = ("title", "aria-label", "placeholder", "alt")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._hidden += 1
        self.parts += [value for name, value in attrs if name in self.SHOWN and value]

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden and data.strip():
            self.parts.append(data.strip())


def visible_text(html: str) -> str:
    parser = _VisibleText()
    parser.feed(html)
    return "\n".join(parser.parts)


def _fragments(english: str) -> list[str]:
    """The literal words of a message: its {placeholders} cut out."""
    return [part.strip(" .:;,()") for part in re.split(r"\{[a-z_]+\}", english)]


def english_strings() -> set[str]:
    """Every English label, value and phrase the report's tables know, where pt-BR says it otherwise."""
    tables = (i18n.MESSAGES, i18n.LABELS, i18n.REASONS, i18n.EVIDENCE_LABELS, i18n.VALUE_LABELS,
              i18n.EVIDENCE_PHRASES)
    found = {
        fragment
        for table in tables for english, portuguese in table.values() if english.lower() != portuguese.lower()
        for fragment in _fragments(english)
    }
    found |= {check.owner for check in all_checks()}  # team ids: pt-BR shows their names from the settings
    found |= {english for english, _ in i18n.EVIDENCE_LABELS.values()}
    # Too short to tell from Portuguese or from data ("no", "SKU"), and the product's name.
    return {text for text in found if len(text) >= 4 and text.lower() not in {"retaguarda", "total"}}


def english_in(text: str, strings: set[str]) -> list[str]:
    return sorted(s for s in strings if re.search(rf"(?<![\w-]){re.escape(s)}(?![\w-])", text, re.IGNORECASE))


@pytest.fixture(scope="module")
def portuguese_run(tmp_path_factory, prefect_server) -> dict:
    """One hourly run of the demo shop reported in pt-BR, with a check disabled (a reason to translate)."""
    folder = tmp_path_factory.mktemp("pt_br")
    settings_file = write_settings(
        folder / "settings.yaml",
        source={"kind": "demo"},
        demo={"days": 2, "orders_per_hour": 6, "anomaly_rate": 0.2},
        report={"language": "pt-BR"},
        checks={"stockout_risk": {"enabled": False}},
    )
    summary = hourly_reconciliation(window_start=WINDOW, settings_file=settings_file)
    settings = load_settings(settings_file)
    con = connect(settings.warehouse.path, read_only=True)
    try:
        cursor = con.cursor()
        prepare_session(cursor)
        data = load_report_data(cursor, summary.run_id)
        columns = {
            check.id: [row[0] for row in con.execute(f"describe exceptions.{identifier(check.id)}").fetchall()]
            for check in all_checks()
        }
    finally:
        con.close()
    return {"html": summary.report_path.read_text(), "report_path": summary.report_path, "data": data,
            "columns": columns, "settings": settings}


def test_the_portuguese_report_of_a_real_run_shows_no_english_words(portuguese_run):
    strings = english_strings()
    html = portuguese_run["html"]
    assert "Risco de ruptura: não verificada: desativada nas configurações" in html
    assert english_in(visible_text(html), strings) == []
    # The same data in English shows those words: the list and the reading of the page find them.
    english = render_report(portuguese_run["data"], "en", ZONE, "BRL", AS_OF)
    shown = english_in(visible_text(english), strings)
    evidence = {english for english, _ in i18n.EVIDENCE_LABELS.values()}
    assert "Stockout risk" in shown and "disabled in settings" in shown and evidence & set(shown)


def test_the_portuguese_list_drawn_with_every_detail_open_shows_no_english_words(portuguese_run):
    # The list and its details are drawn by the page's script from data: read what the browser shows.
    with chromium() as browser:
        page = watched_page(browser)
        open_report(page, portuguese_run["report_path"])
        page.page.evaluate(SHOW_EVERYTHING)
        text = page.page.evaluate("document.body.innerText")
    names = portuguese_run["settings"].report.owner_names["pt-BR"]
    assert any(name in text for name in names.values())
    assert english_in(text, english_strings()) == []


def test_every_evidence_field_of_every_check_has_a_portuguese_label(portuguese_run):
    fields = {
        name for check in all_checks() for name in portuguese_run["columns"][check.id]
        if name not in EXCEPTION_COLUMNS
    }
    assert "cancelled_at" in fields and "shipped_items" in fields
    assert sorted(fields - set(i18n.EVIDENCE_LABELS)) == []
    t = Translator("pt-BR")
    assert all(t.field(name) == i18n.EVIDENCE_LABELS[name][1] for name in fields)


def test_every_team_has_a_portuguese_name(portuguese_run):
    names = portuguese_run["settings"].report.owner_names["pt-BR"]
    assert sorted({check.owner for check in all_checks()} - set(names)) == []


def test_statuses_and_quarantine_reasons_read_in_portuguese():
    t = Translator("pt-BR")
    quarantine = [value for name, value in vars(problems).items() if name.isupper() and isinstance(value, str)]
    for value in (*ORDER_STATUSES, *TRACKING_STATUSES):
        assert t.value("status", value) != value, value
    for reason in quarantine:
        assert t.value("problems", f"orders {reason}") != f"orders {reason}", reason
    assert t.value("sku", "paid") == "paid"  # data is not translated


def test_every_problem_phrase_the_sql_writes_reads_in_portuguese():
    """The phrases warehouse/core/*.sql put in a `problems` evidence field, read from the SQL itself."""
    phrases = set()
    for path in sorted((ROOT / "warehouse" / "core").glob("*.sql")):
        for block in re.findall(r"list_filter\(\[(.*?)\], problem ->", path.read_text(), re.DOTALL):
            phrases |= set(re.findall(r"then '([^']+)'", block))
    assert {"missing customer_id", "paid before placed"} <= phrases
    t = Translator("pt-BR")
    for phrase in phrases:
        text = phrase + "ARS" if phrase.endswith(" ") else phrase  # 'unknown currency ' || currency
        assert t.value("problems", text) != text, phrase
    assert t.value("problems", "missing customer_id; negative total_amount") == (
        "ID do cliente ausente; valor total negativo")


def test_reasons_recorded_before_codes_read_in_portuguese_after_the_migration():
    """Migration 011 gives the rows an older release wrote (English only) their codes."""
    from tasks.check_reasons import as_text, empty_column, no_feed
    from warehouse.database import MIGRATIONS

    con = connect(":memory:")
    before = [m for m in MIGRATIONS if m.name < "011"]
    for migration in before:
        con.execute(migration.read_text())
    why = [no_feed("allocations"), empty_column("orders", "cancelled_at")]
    con.execute("insert into audit.check_runs values ('r1', ?, 'not_allocated_in_sla', false, ?), "
                "('r1', ?, 'oversold', false, 'disabled in settings'), ('r1', ?, 'late_shipment', true, null)",
                [AS_OF, as_text(why), AS_OF, AS_OF])
    con.execute(next(m for m in MIGRATIONS if m.name.startswith("011_")).read_text())
    recorded = dict(con.execute("select check_id, reasons from audit.check_runs").fetchall())
    assert recorded == {"not_allocated_in_sla": [r.as_row() for r in why],
                        "oversold": [{"code": "disabled", "table_name": None, "column_name": None}],
                        "late_shipment": None}
    assert Translator("pt-BR").reason(recorded["not_allocated_in_sla"]) == (
        "sem o feed allocations; orders.cancelled_at vazia em todas as linhas")
