"""Reference tables the checks read: the business calendar and tracking-number formats."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from functools import lru_cache

import duckdb
import polars as pl

from retaguarda.calendar import BusinessCalendar
from retaguarda.settings import Settings
from warehouse.database import STAGING_MODELS

# Business time is defined over whatever span the data has (staged timestamps and the
# ledger's opening times), and at least this far around the window end: a timestamp
# outside the calendar would have no business-hours value. The days are no limit.
CALENDAR_DAYS_BEFORE = 730
CALENDAR_DAYS_AFTER = 60
# ...but no further than this: a valid year-1 or year-9999 timestamp must not make a calendar of
# millions of days (or overflow the local date); beyond it business time is null, as outside any calendar.
CALENDAR_REACH = timedelta(days=50 * 366)


@lru_cache(maxsize=8)
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


def staged_span(con: duckdb.DuckDBPyConnection) -> tuple[datetime | None, datetime | None]:
    """Earliest and latest timestamp in any staging table."""
    columns = con.execute(
        "select table_name, column_name from information_schema.columns "
        "where table_schema = 'staging' and data_type = 'TIMESTAMP WITH TIME ZONE'"
    ).fetchall()
    # the staging models only: not their histories, whose versions reach before any as_of
    columns = [(table, column) for table, column in columns if table in STAGING_MODELS]
    if not columns:
        return None, None
    # names come from the database's own catalog, quoted
    quoted = [('"' + table.replace('"', '""') + '"', '"' + column.replace('"', '""') + '"')
              for table, column in columns]
    union = " union all ".join(f"select min({c}), max({c}) from staging.{t}" for t, c in quoted)
    return con.execute(f"select min(low), max(high) from ({union}) as spans(low, high)").fetchone()


def ledger_span(con: duckdb.DuckDBPyConnection) -> tuple[datetime | None, datetime | None]:
    """Earliest and latest opening time in the ledger: ages are measured from them."""
    return con.execute("select min(opened_at), max(opened_at) from exceptions.ledger").fetchone()


def load_reference_tables(con: duckdb.DuckDBPyConnection, settings: Settings, as_of: datetime) -> int:
    """Rebuild core.business_calendar and core.tracking_formats; returns calendar days."""
    calendar = settings.calendar.business_calendar()
    end = as_of.date()
    first, last = end - timedelta(days=CALENDAR_DAYS_BEFORE), end + timedelta(days=CALENDAR_DAYS_AFTER)
    for low, high in (staged_span(con), ledger_span(con)):
        if low is not None:
            first = min(first, max(low, as_of - CALENDAR_REACH).astimezone(calendar.zone).date())
        if high is not None:
            last = max(last, min(high, as_of + CALENDAR_REACH).astimezone(calendar.zone).date())
    rows = calendar_rows(calendar, first, last)
    con.execute(
        "create or replace table core.business_calendar "
        "(day date not null, open_at timestamptz, close_at timestamptz, hours_before double not null)"
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
    con.execute("create or replace table core.tracking_formats (carrier varchar not null, pattern varchar not null)")
    con.executemany("insert into core.tracking_formats values (?, ?)", list(settings.carriers.items()))
    return len(rows)
