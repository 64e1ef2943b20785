"""The report as one self-contained HTML page: data escaped, styles, charts and script inline."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from markupsafe import Markup

from expectations.catalog import SEVERITIES, STAGES
from report import charts
from report.changes import changes_section
from report.csv_cells import FORMULA_STARTS
from report.formats import Formats
from report.i18n import Translator
from report.pages import TEMPLATES, csp_hash
from report.queries import OFFENDER_DIMENSIONS, WORST_FIRST, OpenException, ReportData

HERE = Path(__file__).resolve().parent
SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES, start=1)}  # low is 1
AGING_BUCKETS = ((0, 4, "< 4 h"), (4, 24, "4–24 h"), (24, 72, "24–72 h"), (72, None, "> 72 h"))
_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?([+-]\d{2}(:?\d{2})?|Z)$")
SCRIPT = (HERE / "static" / "report.js").read_text()


def content_security_policy(script: str) -> str:
    """Insurance on top of escaping: nothing loads, and the one script that runs is ours, by its hash."""
    return (
        f"default-src 'none'; script-src {csp_hash(script)}; style-src 'unsafe-inline'; img-src data:; "
        "base-uri 'none'; form-action 'none'"
    )




def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"cannot put {type(value).__name__} in the page's data")


def script_json(value: Any) -> Markup:
    """JSON safe inside <script type="application/json">: no '<', '>' or '&' can end the element."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_json_default)
    for character, escaped in (("&", "\\u0026"), ("<", "\\u003c"), (">", "\\u003e"),
                               ("\u2028", "\\u2028"), ("\u2029", "\\u2029")):
        text = text.replace(character, escaped)
    return Markup(text)


def _stage_order(stage: str) -> tuple[int, str]:
    return (STAGES.index(stage) if stage in STAGES else len(STAGES), stage)


def _number(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


def _evidence_value(value: Any, f: Formats, t: Translator) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return t("yes") if value else t("no")
    if isinstance(value, int):
        return f.number(value)
    if isinstance(value, Decimal | float):
        decimals = min(len(str(value).partition(".")[2]), 3)
        return f.number(value, decimals)
    if isinstance(value, str) and _TIMESTAMP.match(value):
        try:
            return f.datetime(datetime.fromisoformat(value))
        except ValueError:
            return value
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _headline_cards(data: ReportData, f: Formats, t: Translator) -> list[dict[str, Any]]:
    h = data.headline
    # Notes are (text, tone): a rise in open exceptions reads red, a fall green.
    open_notes = []
    if h.open_before is not None:
        tone = "worse" if h.open > h.open_before else "better" if h.open < h.open_before else ""
        open_notes.append((t("open_delta", delta=f.signed(h.open - h.open_before)), tone))
    if h.acknowledged:
        open_notes.append((t("acknowledged_count", count=f.number(h.acknowledged)), ""))
    new_notes = [(t("reopened_count", count=f.number(h.reopened)), "")] if h.reopened else []
    if h.escalated:
        new_notes.append((t("escalated_count", count=f.number(h.escalated)), "worse"))

    def rate(on_time: int | None, due: int) -> tuple[str, list[tuple[str, str]], float | None]:
        if not due:
            return t("not_available"), [(t("no_orders_due"), "")], None
        if on_time is None:  # the check that knows lateness was not published
            return t("not_available"), [], None
        note = t("rate_note", on_time=f.number(on_time), due=f.number(due))
        return f.percent(on_time / due), [(note, "")], on_time / due

    ship_text, ship_note, ship_rate = rate(h.ship_on_time, h.ship_due)
    delivery_text, delivery_note, delivery_rate = rate(h.delivery_on_time, h.delivery_due)
    return [
        {"key": "open", "label": t("open"), "text": f.number(h.open), "value": h.open,
         "notes": open_notes},
        {"key": "new", "label": t("new"), "text": f.number(h.new), "value": h.new,
         "notes": new_notes},
        {"key": "resolved", "label": t("resolved"), "text": f.number(h.resolved), "value": h.resolved,
         "notes": [(t("resolved_note"), "")]},
        {"key": "money_at_risk", "label": t("money_at_risk"), "text": f.money(h.money_at_risk),
         "value": _number(h.money_at_risk), "notes": [(t("money_note"), ""), (t("money_once_note"), "")]},
        {"key": "on_time_shipment", "label": t("on_time_shipment"), "text": ship_text, "value": ship_rate,
         "notes": ship_note},
        {"key": "on_time_delivery", "label": t("on_time_delivery"), "text": delivery_text, "value": delivery_rate,
         "notes": delivery_note},
    ]


def _stage_table(data: ReportData, f: Formats, t: Translator) -> dict[str, Any]:
    counts: dict[str, dict[str, int]] = {}
    money: dict[str, Decimal] = {}
    for stage, severity, exceptions, amount in data.by_stage_severity:
        counts.setdefault(stage, {})[severity] = exceptions
        money[stage] = money.get(stage, Decimal(0)) + (amount or 0)
    stages = sorted(set(STAGES) | set(counts), key=_stage_order)
    rows = []
    for stage in stages:
        by_severity = counts.get(stage, {})
        rows.append({
            "stage": stage, "label": t.label(stage),
            "cells": [by_severity.get(s, 0) for s in WORST_FIRST],
            "total": sum(by_severity.values()), "money": money.get(stage, Decimal(0)),
        })
    totals = [sum(row["cells"][i] for row in rows) for i in range(len(WORST_FIRST))]
    return {
        "rows": rows,
        "totals": totals,
        "total": sum(totals),
        "money": sum((row["money"] for row in rows), Decimal(0)),
        "dataset": {
            "columns": ["stage", *WORST_FIRST, "total", "money_at_risk"],
            "rows": [[row["stage"], *row["cells"], row["total"], _number(row["money"])] for row in rows],
        },
    }


def _aging(open_exceptions: list[OpenException]) -> list[tuple[str, dict[str, int]]]:
    buckets = []
    for low, high, label in AGING_BUCKETS:
        counts: dict[str, int] = {}
        for item in open_exceptions:
            age = item.age_business_hours or 0
            if age >= low and (high is None or age < high):
                counts[item.severity] = counts.get(item.severity, 0) + 1
        buckets.append((label, counts))
    return buckets


def _trend_charts(data: ReportData, f: Formats, t: Translator) -> dict[str, Any]:
    as_of = data.publication.as_of
    day_points = [p for p in data.trend if p.as_of > as_of - timedelta(hours=24)]

    def tooltip(point) -> str:
        severities = " · ".join(f"{t.label(s)} {f.number(point.by_severity[s])}" for s in WORST_FIRST)
        return f"{f.datetime(point.as_of)} — {t('open')}: {f.number(point.open)} ({severities})"

    hour_ticks = [(as_of - timedelta(hours=h), f.time(as_of - timedelta(hours=h))) for h in range(24, -1, -4)]
    week_start = as_of - timedelta(days=7)
    first_midnight = f.local(week_start).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    day_ticks = [(first_midnight + timedelta(days=d), f.day(first_midnight + timedelta(days=d))) for d in range(7)]
    day_ticks = [(tick, text) for tick, text in day_ticks if tick <= as_of]
    return {
        "day": charts.severity_columns(
            [(p.as_of, p.by_severity, tooltip(p)) for p in day_points], as_of, 24, hour_ticks, f.number,
            t("trend_24h"),
        ),
        "day_note": t("trend_24h_note", new=f.number(sum(p.arrived for p in day_points)),
                      resolved=f.number(sum(p.resolved for p in day_points))),
        "week": charts.line(
            [(p.as_of, p.open, f"{tooltip(p)} — {f.money(p.money_at_risk)}") for p in data.trend], as_of, 24 * 7,
            day_ticks, f.number, t("trend_7d"),
        ),
        "week_note": t("trend_7d_note", new=f.number(sum(p.arrived for p in data.trend)),
                       resolved=f.number(sum(p.resolved for p in data.trend))),
        "enough": len(data.trend) > 1,
    }


def _offenders(data: ReportData, f: Formats, t: Translator) -> list[dict[str, Any]]:
    cards = []
    for dimension in OFFENDER_DIMENSIONS:
        found = [o for o in data.offenders if o.dimension == dimension]
        cards.append({
            "dimension": dimension,
            "title": t(f"offenders_{dimension}"),
            "rows": [{"name": t.owner(o.name) if dimension == "owner" else o.name,
                      "exceptions": f.number(o.exceptions), "money": f.money(o.money_at_risk),
                      "exceptions_raw": o.exceptions, "money_raw": _number(o.money_at_risk)} for o in found],
            "dataset": {
                "columns": [dimension, "exceptions", "money_at_risk"],
                "rows": [[o.name, o.exceptions, _number(o.money_at_risk)] for o in found],
            },
        })
    return cards


def _open_list(data: ReportData, f: Formats, t: Translator) -> dict[str, Any]:
    items = data.open_exceptions
    rows = [
        {
            "index": index,
            "severity": item.severity,
            "severity_label": t.label(item.severity),
            "severity_rank": SEVERITY_RANK.get(item.severity, 0),
            "stage": item.stage,
            "stage_label": t.label(item.stage),
            "check": t.label(item.check_id),
            "check_id": item.check_id,
            "entity_id": item.entity_id,
            "entity_type": t.label(item.entity_type),
            "owner": item.owner,
            "owner_label": t.owner(item.owner),
            "status": item.status,
            "status_label": t.label(item.status),
            "acknowledged_by": item.acknowledged_by or "",
            "opened": f.datetime(item.opened_at),
            "opened_sort": item.opened_at.isoformat() if item.opened_at else "",
            "age": f.number(item.age_business_hours, 1),
            "age_sort": "" if item.age_business_hours is None else item.age_business_hours,
            "amount": f.money(item.amount_at_risk),
            "amount_sort": "" if item.amount_at_risk is None else item.amount_at_risk,
            "evidence": [
                (t.field(key), _evidence_value(t.value(key, value) if isinstance(value, str) else value, f, t))
                for key, value in item.evidence.items()
            ],
        }
        for index, item in enumerate(items)
    ]
    present_stages = {item.stage for item in items}
    return {
        "rows": rows,
        "stages": [(s, t.label(s)) for s in sorted(present_stages, key=_stage_order)],
        "owners": [(owner, t.owner(owner)) for owner in sorted({item.owner for item in items})],
        "severities": [(s, t.label(s)) for s in WORST_FIRST if any(item.severity == s for item in items)],
        "dataset": {
            "columns": ["exception_id", "severity", "stage", "check_id", "entity_type", "entity_id", "owner",
                        "status", "acknowledged_by", "opened_at", "age_business_hours", "amount_at_risk",
                        "evidence"],
            "rows": [
                [item.exception_id, item.severity, item.stage, item.check_id, item.entity_type, item.entity_id,
                 item.owner, item.status, item.acknowledged_by,
                 item.opened_at.isoformat() if item.opened_at else None,
                 item.age_business_hours, _number(item.amount_at_risk),
                 item.evidence or None]
                for item in items
            ],
        },
    }


def render_report(
    data: ReportData,
    language: str,
    timezone: str,
    currency: str,
    generated_at: datetime,
    data_docs_href: str | None = None,
    validation_pages: dict[str, str] | None = None,
    owner_names: dict[str, str] | None = None,
) -> str:
    """The page for `data`, in `language`, times in `timezone`, money in `currency`.

    `data_docs_href` links the validation pages' index (report/data_docs.py);
    `validation_pages` (suite -> href) this run's pages; `owner_names` (owner -> name) the teams' names.
    """
    f = Formats(language, timezone, currency)
    t = Translator(language, owner_names)
    publication = data.publication
    stamp = publication.as_of.strftime("%Y%m%dT%H%MZ")
    return TEMPLATES.get_template("report.html.j2").render(
        t=t,
        language=language,
        title=f"{t('title')} — {f.datetime(publication.as_of)}",
        as_of=f.datetime(publication.as_of),
        timezone=timezone,
        run=publication.run_id[:8],
        generated=f.datetime(generated_at),
        is_latest=publication.is_latest,
        data_docs_href=data_docs_href,
        validation_pages=[
            (t.label(suite), href) for suite, href in sorted(
                (validation_pages or {}).items(), key=lambda item: _stage_order(item[0]))
        ],
        stamp=stamp,
        currency=currency,
        cards=_headline_cards(data, f, t),
        stage_table=_stage_table(data, f, t),
        aging=charts.severity_bars(_aging(data.open_exceptions), f.number, t("aging")),
        trend=_trend_charts(data, f, t),
        severities=[(s, t.label(s), charts.SEVERITY_COLORS[s]) for s in WORST_FIRST],
        offenders=_offenders(data, f, t),
        open_list=_open_list(data, f, t),
        changes=changes_section(data.changes, publication.as_of, f, t),
        not_checked=[
            t("not_checked", check=t.label(check_id), reason=t.reason(reason)) for check_id, reason in data.not_checked
        ],
        number=f.number,
        money=f.money,
        script_json=script_json,
        messages=t.templates("showing"),
        formula_starts=FORMULA_STARTS,
        css=Markup((HERE / "static" / "report.css").read_text()),
        script=Markup(SCRIPT),
        content_security_policy=content_security_policy(SCRIPT),
    )
