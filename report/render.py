"""The report as one self-contained HTML page: data escaped, styles, charts and script inline."""

from __future__ import annotations

import base64
import gzip
import json
import re
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
from markupsafe import Markup

from expectations.catalog import SEVERITIES, STAGES
from report import charts
from report.changes import changes_section
from report.csv_cells import FORMULA_STARTS
from report.formats import Formats
from report.i18n import PHRASE_FIELDS, STATUS_FIELDS, Translator
from report.pages import TEMPLATES, csp_hash
from report.queries import OFFENDER_DIMENSIONS, WORST_FIRST, OpenException, OpenExceptions, ReportData, id_prefix

HERE = Path(__file__).resolve().parent
SEVERITY_RANK = {severity: rank for rank, severity in enumerate(SEVERITIES, start=1)}  # low is 1
AGING_BUCKETS = ((0, 4, "< 4 h"), (4, 24, "4–24 h"), (24, 72, "24–72 h"), (72, None, "> 72 h"))
SCRIPT = (HERE / "static" / "report.js").read_text()


STYLE = (HERE / "static" / "report.css").read_text()


def content_security_policy(script: str, style: str = STYLE) -> str:
    """Insurance on top of escaping: nothing loads, and the one script and style that apply are ours, by hash."""
    return (
        f"default-src 'none'; script-src {csp_hash(script)}; style-src {csp_hash(style)}; img-src data:; "
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
    cards = [
        {"key": "open", "label": t("open"), "text": f.number(h.open), "compact": f.compact_number(h.open),
         "value": h.open, "notes": open_notes},
        {"key": "new", "label": t("new"), "text": f.number(h.new), "compact": f.compact_number(h.new),
         "value": h.new, "notes": new_notes},
        {"key": "resolved", "label": t("resolved"), "text": f.number(h.resolved),
         "compact": f.compact_number(h.resolved), "value": h.resolved, "notes": [(t("resolved_note"), "")]},
        {"key": "money_at_risk", "label": t("money_at_risk"), "text": f.money(h.money_at_risk),
         "compact": f.compact_money(h.money_at_risk), "value": _number(h.money_at_risk),
         "notes": [(t("money_note"), ""), (t("money_once_note"), "")]},
        {"key": "on_time_shipment", "label": t("on_time_shipment"), "text": ship_text, "compact": ship_text,
         "value": ship_rate, "notes": ship_note},
        {"key": "on_time_delivery", "label": t("on_time_delivery"), "text": delivery_text,
         "compact": delivery_text, "value": delivery_rate, "notes": delivery_note},
    ]
    # The page shows the compact figure only where the exact one does not fit (report.js).
    return cards


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


def _aging(open_exceptions: Sequence[OpenException]) -> list[tuple[str, dict[str, int]]]:
    table = _open_table(open_exceptions)
    ages = pc.fill_null(pc.cast(table.column("age_business_hours"), pa.float64()), 0.0)
    buckets = []
    for low, high, label in AGING_BUCKETS:
        inside = pc.greater_equal(ages, low)
        if high is not None:
            inside = pc.and_(inside, pc.less(ages, high))
        counts = pc.value_counts(pc.filter(table.column("severity"), inside)).to_pylist()
        buckets.append((label, {count["values"]: count["counts"] for count in counts}))
    return buckets


def _trend_charts(data: ReportData, f: Formats, t: Translator) -> dict[str, Any]:
    as_of = data.publication.as_of
    day_start = as_of - timedelta(hours=24)
    day_points = [p for p in data.trend if p.as_of > day_start]

    def tooltip(point) -> str:
        severities = " · ".join(f"{t.label(s)} {f.number(point.by_severity[s])}" for s in WORST_FIRST)
        return f"{f.datetime(point.as_of)} — {t('open')}: {f.number(point.open)} ({severities})"

    hour_ticks = [(as_of - timedelta(hours=h), f.time(as_of - timedelta(hours=h))) for h in range(24, -1, -4)]
    week_start = as_of - timedelta(days=7)
    first_midnight = f.local(week_start).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    day_ticks = [(first_midnight + timedelta(days=d), f.day(first_midnight + timedelta(days=d))) for d in range(7)]
    day_ticks = [(tick, text) for tick, text in day_ticks if tick <= as_of]
    day_points = [(p.as_of, p.by_severity, tooltip(p)) for p in day_points]
    week_points = [(p.as_of, p.open, f"{tooltip(p)} — {f.money(p.money_at_risk)}") for p in data.trend]
    return {
        # Each chart twice: wide for panels, narrow for phones; CSS shows one (report.css).
        "day": charts.severity_columns(day_points, as_of, 24, hour_ticks, f.number, t("trend_24h"))
        + charts.severity_columns(day_points, as_of, 24, hour_ticks, f.number, t("trend_24h"), charts.NARROW),
        "day_note": t("trend_24h_note", new=f.number(sum(p.arrived for p in data.trend if p.as_of > day_start)),
                      resolved=f.number(sum(p.resolved for p in data.trend if p.as_of > day_start))),
        "week": charts.line(week_points, as_of, 24 * 7, day_ticks, f.number, t("trend_7d"))
        + charts.line(week_points, as_of, 24 * 7, day_ticks[::2], f.number, t("trend_7d"), charts.NARROW),
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
            "rows": [{"id": o.name, "name": t.owner(o.name) if dimension == "owner" else o.name,
                      "exceptions": f.number(o.exceptions), "money": f.money(o.money_at_risk),
                      "money_compact": f.compact_money(o.money_at_risk, 1),
                      "exceptions_raw": o.exceptions, "money_raw": _number(o.money_at_risk)} for o in found],
            "dataset": {
                "columns": [dimension, "exceptions", "money_at_risk"],
                "rows": [[o.name, o.exceptions, _number(o.money_at_risk)] for o in found],
            },
        })
    return cards


OPEN_COLUMNS = ("exception_id", "severity", "stage", "check_id", "entity_type", "entity_id", "owner", "status",
                "acknowledged_by", "opened_at", "age_business_hours", "amount_at_risk", "evidence")
DICTIONARY = ("severity", "stage", "check_id", "entity_type", "owner", "status", "acknowledged_by")
LIFECYCLE_COLUMNS = ("exception_id", "happened_at", "kind", "detail", "note")
EVENT_KINDS = ("new", "reopened", "escalated", "resolved", "returned", "acknowledge", "snooze")
PAGE_ROWS = 100  # list rows drawn at a time; the rest on scroll or "show more"
GZIP_ABOVE = 256 * 1024  # bytes of JSON; below it the block stays readable JSON


_DECIMAL_MARK = "\u0000decimal:"
_MARKED_DECIMAL = re.compile(r'"\\u0000decimal:(-?[0-9.]+(?:E[+-]?[0-9]+)?)"')


def _evidence_text(value: dict[str, Any]) -> str | None:
    """Evidence as the warehouse writes it: JSON with decimals as written (12.50 stays 12.50)."""
    if not value:
        return None

    def default(item: Any) -> Any:
        return _DECIMAL_MARK + str(item) if isinstance(item, Decimal) else _json_default(item)

    return _MARKED_DECIMAL.sub(r"\1", json.dumps(value, default=default))


def _open_table(items: Sequence[OpenException]) -> pa.Table:
    """The list as Arrow columns: as fetched (report.queries.OpenExceptions), or built from rows."""
    if isinstance(items, OpenExceptions):
        return items.table
    rows = {name: [getattr(item, name) for item in items] for name in OPEN_COLUMNS}
    rows["evidence"] = [_evidence_text(value) for value in rows["evidence"]]
    rows["amount_at_risk"] = [_number(value) for value in rows["amount_at_risk"]]
    types = {"opened_at": pa.timestamp("us", tz="UTC"), "age_business_hours": pa.float64(),
             "amount_at_risk": pa.float64()}
    return pa.table({name: pa.array(values, type=types.get(name, pa.string())) for name, values in rows.items()})


def _lifecycle_table(lifecycle: Any) -> pa.Table:
    if isinstance(lifecycle, pa.Table):
        return lifecycle
    columns = list(zip(*lifecycle, strict=True)) or [[] for _ in LIFECYCLE_COLUMNS]
    types = {"happened_at": pa.timestamp("us", tz="UTC")}
    return pa.table({name: pa.array(list(values), type=types.get(name, pa.string()))
                     for name, values in zip(LIFECYCLE_COLUMNS, columns, strict=True)})


def _members_table(members: Any) -> pa.Table:
    if isinstance(members, pa.Table):
        return members
    columns = list(zip(*members, strict=True)) or [[], [], []]
    return pa.table({name: pa.array(list(values), pa.string())
                     for name, values in zip(("dimension", "name", "exception_id"), columns, strict=True)})


def _encoded(column: pa.ChunkedArray) -> tuple[list[int | None], list[Any]]:
    """Repeated text as indexes into its distinct values: 100,000 owners are a handful of names."""
    encoded = pc.dictionary_encode(column).combine_chunks()
    return encoded.indices.to_pylist(), encoded.dictionary.to_pylist()


def _epoch_seconds(column: pa.ChunkedArray) -> list[int | None]:
    return pc.divide(pc.cast(pc.cast(column, pa.timestamp("us", tz="UTC")), pa.int64()), 1_000_000).to_pylist()


def _deltas(indexes: list[int]) -> list[int]:
    """Ascending row numbers as gaps from the previous one: short numbers that compress well."""
    return [index - previous for previous, index in zip([0, *indexes], indexes, strict=False)]


def _open_list(data: ReportData, f: Formats, t: Translator) -> dict[str, Any]:
    """The open list for the page's script: columns, repeated text dictionary-encoded, rendered in the browser."""
    table = _open_table(data.open_exceptions)
    id_column = table.column("exception_id").combine_chunks()
    columns: dict[str, Any] = {"entity_id": table.column("entity_id").to_pylist()}
    values: dict[str, list[Any]] = {}
    for name in DICTIONARY:
        columns[name], values[name] = _encoded(table.column(name))
    if not data.ids_derived:
        columns["exception_id"] = id_column.to_pylist()  # else the page computes them, as the ledger does
    columns["opened_at"] = _epoch_seconds(table.column("opened_at"))
    columns["age_business_hours"] = pc.round(pc.cast(table.column("age_business_hours"), pa.float64()), 1).to_pylist()
    amounts = pc.cast(table.column("amount_at_risk"), pa.float64())
    columns["amount_at_risk"] = amounts.to_pylist()
    # Above 1e13 a double no longer holds every cent: those amounts also travel as their exact digits.
    too_big = pc.fill_null(pc.greater_equal(pc.abs(amounts), 1e13), False)
    exact = pc.cast(table.column("amount_at_risk"), pa.string())
    columns["amount_exact"] = {str(row): exact[row].as_py() for row in pc.indices_nonzero(too_big).to_pylist()}
    # JSON text never holds a raw line break: one string split by the page is far smaller than a list of strings
    columns["evidence"] = "\n".join(text or "" for text in table.column("evidence").to_pylist())

    events = _lifecycle_table(data.lifecycle)
    event_rows = pc.index_in(events.column("exception_id"), value_set=id_column)
    events = events.append_column("row", event_rows).filter(pc.is_valid(event_rows))
    # stable: each row's events stay in the query's time order
    events = events.take(pc.sort_indices(events, [("row", "ascending")]))
    kinds, kind_values = _encoded(events.column("kind"))
    details, detail_values = _encoded(events.column("detail"))
    notes = events.column("note").to_pylist()
    lifecycle = {
        "row": _deltas(events.column("row").to_pylist()), "at": _epoch_seconds(events.column("happened_at")),
        "kind": kinds, "detail": details, "note": notes if any(notes) else [],
        "kinds": kind_values, "details": detail_values,
    }

    members = _members_table(data.offender_members)
    members = members.append_column("row", pc.index_in(members.column("exception_id"), value_set=id_column))
    offenders: dict[str, dict[str, list[int]]] = {}
    for pair in members.group_by(["dimension", "name"]).aggregate([]).to_pylist():
        chosen = pc.and_(pc.equal(members.column("dimension"), pair["dimension"]),
                         pc.equal(members.column("name"), pair["name"]))
        rows = pc.drop_null(pc.filter(members.column("row"), chosen))
        offenders.setdefault(pair["dimension"], {})[pair["name"]] = rows.to_pylist()
    labelled = ("severity", "stage", "check_id", "entity_type", "status")
    owner_names = [t.owner(value) if value is not None else "" for value in values["owner"]]
    # Each check writes the same fields every time: one evidence per check names them all.
    first_of_check = pc.index_in(pa.array(range(len(values["check_id"]))), value_set=pa.array(columns["check_id"]))
    evidence = table.column("evidence")
    evidence_keys = sorted({key for row in first_of_check.to_pylist() for key in _keys(evidence[row].as_py())})
    return {
        "n": table.num_rows,
        "id_prefix": id_prefix(data.tenant),  # what the page hashes before check_id|entity_id
        "csv_columns": list(OPEN_COLUMNS),
        "columns": columns,
        "values": values,
        "labels": {
            **{name: [t.label(value) if value is not None else "" for value in values[name]] for name in labelled},
            "severity_rank": [SEVERITY_RANK.get(value, 0) for value in values["severity"]],
            "kind": {kind: t(f"event_{kind}", severity="{severity}", actor="{actor}") if kind in EVENT_KINDS else kind
                     for kind in kind_values},
            "detail": {value: t.label(value) for value in detail_values if value},
            "owner": owner_names,
            "evidence": {key: t.field(key) for key in evidence_keys},
            "evidence_values": _evidence_values(evidence, t),
        },
        "lifecycle": lifecycle,
        "offenders": {dimension: {name: _deltas(sorted(rows)) for name, rows in names.items()}
                      for dimension, names in offenders.items()},
        "stages": [(s, t.label(s)) for s in sorted(set(values["stage"]), key=_stage_order)],
        "owners": sorted(((value, name) for value, name in zip(values["owner"], owner_names, strict=True)
                          if value is not None), key=lambda pair: pair[1]),
        "severities": [(s, t.label(s)) for s in WORST_FIRST if s in values["severity"]],
    }


def _keys(text: str | None) -> list[str]:
    if not text:
        return []
    try:
        value = json.loads(text)
    except ValueError:
        return []
    return list(value) if isinstance(value, dict) else []


def _evidence_values(evidence: pa.ChunkedArray, t: Translator) -> dict[str, dict[str, str]]:
    """field -> {text as written: text in the page's language}, for the fields whose words translate."""
    translated: dict[str, dict[str, str]] = {}
    fields = (*STATUS_FIELDS, *PHRASE_FIELDS)
    for text in pc.unique(pc.drop_null(evidence)).to_pylist():
        if not any(f'"{name}"' in text for name in fields):
            continue  # most checks carry none of them: no need to parse their evidence
        for name, item in json.loads(text).items():
            if name in fields and isinstance(item, str) and (words := t.value(name, item)) != item:
                translated.setdefault(name, {})[item] = words
    return translated


def embedded(value: Any) -> tuple[str, Markup]:
    """(encoding, text) for a <script type="application/json"> block: JSON, or gzip and base64 when large.

    The browser inflates the gzip with DecompressionStream; either way the text is parsed, never run.
    """
    text = str(script_json(value))
    if len(text) <= GZIP_ABOVE:
        return "json", Markup(text)
    packed = gzip.compress(text.encode(), compresslevel=4, mtime=0)  # 6 is 2x slower for 7% less
    return "gzip+base64", Markup(base64.b64encode(packed).decode())


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
    aging = _aging(data.open_exceptions)
    open_list = _open_list(data, f, t)
    keys = ("n", "id_prefix", "csv_columns", "columns", "values", "labels", "lifecycle", "offenders")
    encoding, open_data = embedded({key: open_list[key] for key in keys})
    return TEMPLATES.get_template("report.html.j2").render(
        t=t,
        language=language,
        title=f"{t('title')} — {data.tenant + ' — ' if data.tenant else ''}{f.datetime(publication.as_of)}",
        tenant=data.tenant,
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
        aging=charts.severity_bars(aging, f.number, t("aging"))
        + charts.severity_bars(aging, f.number, t("aging"), charts.NARROW),
        trend=_trend_charts(data, f, t),
        severities=[(s, t.label(s), charts.SEVERITY_COLORS[s]) for s in WORST_FIRST],
        offenders=_offenders(data, f, t),
        open_list=open_list,
        open_data=open_data,
        open_encoding=encoding,
        page_settings={"timezone": timezone, "currency": currency, "language": language, "page": PAGE_ROWS},
        changes=changes_section(data.changes, publication.as_of, f, t),
        not_checked=[
            t("not_checked", check=t.label(check_id), reason=t.reason(reason)) for check_id, reason in data.not_checked
        ],
        number=f.number,
        money=f.money,
        script_json=script_json,
        messages=t.templates("showing", "show_more", "detail", "lifecycle", "exception_id", "filtered_by",
                             "clear_filter", "yes", "no", "evidence", "opened", "status", "owner", "age"),
        formula_starts=FORMULA_STARTS,
        css=Markup(STYLE),
        script=Markup(SCRIPT),
        content_security_policy=content_security_policy(SCRIPT),
    )
