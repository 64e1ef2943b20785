"""Reference tables the checks read: the business calendar and tracking-number formats."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import duckdb
import polars as pl

from retaguarda.calendar import BusinessCalendar
from retaguarda.settings import Settings

# Business time is defined this far around the window end: older or later timestamps
# have no business-hours value and never trip an SLA check.
CALENDAR_DAYS_BEFORE = 730
CALENDAR_DAYS_AFTER = 60


def calendar_rows(calendar: BusinessCalendar, first: date, last: date) -> list[tuple]:
    """(day, open_at, close_at, hours_before) for every local day; open/close null when closed."""
    working = {day: (opens, closes) for day, opens, closes in calendar.working_days(first, last)}
    rows, hours_before = [], 0.0
    day = first
    while day <= last:
        opens, closes = working.get(day, (None, None))
        rows.append((day, opens, closes, hours_before))
        if opens is not None:
            hours_before += (closes - opens).total_seconds() / 3600
        day += timedelta(days=1)
    return rows


def load_reference_tables(con: duckdb.DuckDBPyConnection, settings: Settings, as_of: datetime) -> int:
    """Rebuild core.business_calendar and core.tracking_formats; returns calendar days."""
    calendar = settings.calendar.business_calendar()
    end = as_of.date()
    rows = calendar_rows(
        calendar, end - timedelta(days=CALENDAR_DAYS_BEFORE), end + timedelta(days=CALENDAR_DAYS_AFTER)
    )
    con.execute(
        "create or replace table core.business_calendar "
        "(day date primary key, open_at timestamptz, close_at timestamptz, hours_before double not null)"
    )
    days = pl.DataFrame(
        rows,
        schema={"day": pl.Date, "open_at": pl.Datetime("us", "UTC"), "close_at": pl.Datetime("us", "UTC"),
                "hours_before": pl.Float64},
        orient="row",
    ).to_arrow()
    con.register("calendar_days", days)
    con.execute("insert into core.business_calendar select * from calendar_days")
    con.unregister("calendar_days")
    con.execute("create or replace table core.tracking_formats (carrier varchar primary key, pattern varchar not null)")
    con.executemany("insert into core.tracking_formats values (?, ?)", list(settings.carriers.items()))
    return len(rows)
