"""The report's "What changed" section: open exceptions and money per stage, check and owner now, the
change against the last run, yesterday and last week, and each check's last 7 days."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from report import charts
from report.formats import Formats
from report.i18n import Translator
from report.queries import CHANGE_DIMENSIONS, Change, Changes

HISTORY_HOURS = 24 * 7


def _name(change: Change, t: Translator) -> str:
    return t.owner(change.name) if change.dimension == "owner" else t.label(change.name)


def _signed_money(value: Decimal, f: Formats) -> str:
    return ("+" if value > 0 else "") + f.money(value)


def _cell(change: Change, key: str, f: Formats) -> dict[str, Any]:
    delta = change.delta(key)
    if delta is None:
        return {"key": key, "open": "—", "money": "", "tone": ""}
    opened, money = delta
    worse, better = (opened, money) > (0, 0), (opened, money) < (0, 0)  # count first, then money
    return {"key": key, "open": f.signed(opened), "money": _signed_money(money, f),
            "tone": "worse" if worse else "better" if better else ""}


def _history(check_id: str, changes: Changes, end, f: Formats, t: Translator):
    points = [(as_of, count, t("history_point", when=f.datetime(as_of), count=f.number(count)))
              for as_of, count in changes.history.get(check_id, [])]
    return charts.sparkline(points, end, HISTORY_HOURS, f"{t.label(check_id)}: {t('history_7d')}")


def changes_section(changes: Changes | None, as_of, f: Formats, t: Translator) -> dict[str, Any] | None:
    """What the template changes.html.j2 shows; None when the data has no changes (a report built by hand)."""
    if changes is None:
        return None
    comparisons = [
        {"key": c.key, "title": t(f"since_{c.key}"),
         "note": t("compared_with", when=f.datetime(c.as_of)) if c.run_id else t("no_run_to_compare")}
        for c in changes.comparisons
    ]
    tables = []
    for dimension in CHANGE_DIMENSIONS:
        rows = [
            {
                "key": change.name,
                "name": _name(change, t),
                "open": f.number(change.open),
                "money": f.money(change.money_at_risk),
                "cells": [_cell(change, c.key, f) for c in changes.comparisons],
                "history": _history(change.name, changes, as_of, f, t) if dimension == "check" else None,
            }
            for change in changes.rows if change.dimension == dimension
        ]
        tables.append({"dimension": dimension, "title": t(f"changes_by_{dimension}"), "rows": rows})
    return {"comparisons": comparisons, "tables": tables}
