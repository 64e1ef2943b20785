"""Rows out of the CLI: a table for people, CSV for spreadsheets, JSON for scripts.

Times are shown in the calendar's zone and always labelled: table and CSV name the zone in the
column header (or beside each value when a column spans a change of offset); JSON gives ISO 8601
with the offset. Amounts stay exact numbers in JSON, never strings.
"""

from __future__ import annotations

import csv
import json
import sys
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from babel.dates import get_timezone_name

from report.csv_cells import defuse

LOCAL_FORMAT = "%Y-%m-%d %H:%M"


def zone_name(local: datetime) -> str:
    """`BRT`, `CET`...: the short name of the zone at that instant, else its offset (`UTC-03:00`)."""
    # tzdata names some zones by offset only ("-03"); CLDR still has the common abbreviation
    names = [local.tzname() or ""] + [get_timezone_name(local, "short", locale=lang) for lang in ("en", "pt_BR")]
    offset = local.strftime("%z")
    return next((name for name in names if name.isalpha()), f"UTC{offset[:3]}:{offset[3:]}")


def in_zone(instant: datetime, zone: ZoneInfo) -> datetime:
    """The instant in `zone`, or in UTC where the zone's time falls outside the calendar (year 1, 00:00 UTC)."""
    try:
        return instant.astimezone(zone)
    except OverflowError:
        return instant.astimezone(UTC)


def _json_value(value: Any, zone: ZoneInfo) -> str:
    if isinstance(value, Decimal):
        return format(value, "f")  # exact: a JSON number with every digit the warehouse keeps
    if isinstance(value, datetime):
        return json.dumps(in_zone(value, zone).isoformat())
    return json.dumps(value, default=str)


def to_json(columns: list[str], rows: list[tuple], zone: ZoneInfo) -> str:
    """A JSON array of objects; written by hand so decimals stay exact numbers."""
    objects = [
        "{" + ", ".join(f"{json.dumps(c)}: {_json_value(v, zone)}" for c, v in zip(columns, row, strict=True)) + "}"
        for row in rows
    ]
    return "[\n" + ",\n".join(f" {o}" for o in objects) + "\n]" if objects else "[]"


def _local_column(name: str, values: list[Any], zone: ZoneInfo, now: datetime) -> tuple[str, list[Any]]:
    """(header, texts) of a time column: the zone in the header when every value shares it."""
    local = [in_zone(v, zone) if isinstance(v, datetime) else v for v in values]
    names = {zone_name(v) for v in local if isinstance(v, datetime)} or {zone_name(now.astimezone(zone))}
    if len(names) == 1:
        return f"{name} ({names.pop()})", [v.strftime(LOCAL_FORMAT) if isinstance(v, datetime) else v for v in local]
    return name, [f"{v:{LOCAL_FORMAT}} {zone_name(v)}" if isinstance(v, datetime) else v for v in local]


def localised(
    columns: list[str], rows: list[tuple], times: set[str], zone: ZoneInfo, now: datetime
) -> tuple[list[str], list[list]]:
    """Columns and rows with the `times` columns shown in `zone`, labelled (even when all empty)."""
    table = [list(row) for row in rows]
    headers = list(columns)
    for index, name in enumerate(columns):
        if name in times:
            headers[index], texts = _local_column(name, [row[index] for row in table], zone, now)
            for row, text in zip(table, texts, strict=True):
                row[index] = text
    return headers, table


def print_rows(
    columns: list[str], rows: list[tuple], output: str, times: set[str], zone: ZoneInfo, now: datetime,
    out: TextIO | None = None,
) -> None:
    """Rows as a table, CSV or JSON; `times` names the columns that hold instants."""
    out = out or sys.stdout
    if output == "json":
        print(to_json(columns, rows, zone), file=out)
        return
    headers, table = localised(columns, rows, times, zone, now)
    if output == "csv":
        writer = csv.writer(out)
        writer.writerow(headers)
        writer.writerows([defuse(value) for value in row] for row in table)
        return
    text = [[("" if v is None else str(v)) for v in row] for row in table]
    widths = [max([len(c)] + [len(r[i]) for r in text]) for i, c in enumerate(headers)]
    print("  ".join(c.ljust(w) for c, w in zip(headers, widths, strict=True)).rstrip(), file=out)
    for row in text:
        print("  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip(), file=out)


def limit_note(shown: int, total: int) -> str | None:
    """`showing 50 of 14,804; --all for all` when the limit cut the list, else None."""
    if shown >= total:
        return None
    return f"showing {shown:,} of {total:,}; --all for all"
