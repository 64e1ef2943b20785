"""The report's words and formats in English and Brazilian Portuguese, on literal values."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from decimal import Decimal
from string import Formatter

import pytest

from report.formats import Formats
from report.i18n import LABELS, MESSAGES, Translator
from report.queries import Headline, OpenException, Publication, ReportData, TrendPoint
from report.render import render_report, script_json

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
