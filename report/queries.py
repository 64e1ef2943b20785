"""What the report shows, read from a publication's snapshot and the ledger's logs: SQL in report/sql/."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any

import duckdb
import pyarrow as pa

from expectations.catalog import SEVERITIES

SQL_DIR = Path(__file__).resolve().parent / "sql"
TOP_OFFENDERS = 10
OFFENDER_DIMENSIONS = ("sku", "warehouse", "carrier", "owner")
WORST_FIRST = tuple(reversed(SEVERITIES))  # as managers read them
CHANGE_DIMENSIONS = ("stage", "check", "owner")
# What "what changed" compares with: (key, how long before, hours either side a run may be from that instant).
# The last run is the one published just before, however long ago.
COMPARISONS = (("last_run", timedelta(0), None), ("yesterday", timedelta(hours=24), 12.0),
               ("last_week", timedelta(days=7), 24.0))


class ReportError(RuntimeError):
    """The report cannot be built from this warehouse; the message says why."""


@cache
def _sql(name: str) -> str:
    return (SQL_DIR / f"{name}.sql").read_text()


def _rows(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> list[tuple]:
    return con.execute(_sql(name), params).fetchall()


@dataclass(frozen=True)
class Publication:
    run_id: str
    as_of: datetime
    published_at: datetime
    is_latest: bool
    previous_as_of: datetime | None


@dataclass(frozen=True)
class Headline:
    open: int
    acknowledged: int
    money_at_risk: Decimal
    open_before: int | None  # at the previous publication
    new: int  # new and reopened at this publication
    reopened: int
    escalated: int
    resolved: int
    ship_due: int
    ship_on_time: int | None  # None: the late_shipment check was not published
    delivery_due: int
    delivery_on_time: int | None  # None: the late_delivery check was not published


@dataclass(frozen=True)
class TrendPoint:
    as_of: datetime
    by_severity: dict[str, int]
    money_at_risk: Decimal
    arrived: int
    resolved: int

    @property
    def open(self) -> int:
        return sum(self.by_severity.values())


@dataclass(frozen=True)
class Offender:
    dimension: str
    name: str
    exceptions: int
    money_at_risk: Decimal | None


@dataclass(frozen=True)
class OpenException:
    exception_id: str
    check_id: str
    stage: str
    entity_type: str
    entity_id: str
    owner: str
    status: str
    severity: str
    opened_at: datetime | None
    age_business_hours: float | None
    amount_at_risk: Decimal | None
    evidence: dict[str, Any]
    acknowledged_by: str | None


class OpenExceptions(Sequence[OpenException]):
    """The active exceptions as fetched: Arrow columns for the page, OpenException rows on demand.

    The page needs columns (100,000 rows become one JSON block without a Python object each);
    callers that iterate get the same OpenException values as before.
    """

    def __init__(self, table: pa.Table) -> None:
        self.table = table

    def __len__(self) -> int:
        return self.table.num_rows

    def __getitem__(self, index):  # type: ignore[override]
        return self._items()[index]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    def _items(self) -> list[OpenException]:
        if not hasattr(self, "_cache"):
            self._cache = [
                OpenException(*row[:-2], evidence=_evidence(row[-2]), acknowledged_by=row[-1])
                for row in zip(*(column.to_pylist() for column in self.table.columns), strict=True)
            ]
        return self._cache


@dataclass(frozen=True)
class Comparison:
    key: str  # a COMPARISONS key
    run_id: str | None  # None: no run to compare with
    as_of: datetime | None


@dataclass(frozen=True)
class Change:
    """Open exceptions and money at risk of one stage, check or owner now, and in each compared run."""

    dimension: str  # a CHANGE_DIMENSIONS value
    name: str
    open: int
    money_at_risk: Decimal
    before: dict[str, tuple[int, Decimal]]  # comparison key -> (open, money) then; absent: no run to compare

    def delta(self, key: str) -> tuple[int, Decimal] | None:
        if key not in self.before:
            return None
        then_open, then_money = self.before[key]
        return self.open - then_open, self.money_at_risk - then_money


@dataclass(frozen=True)
class Changes:
    comparisons: list[Comparison]
    rows: list[Change]  # per dimension, what got worse first
    history: dict[str, list[tuple[datetime, int]]]  # check id -> (run as_of, open) over 7 days, oldest first


@dataclass(frozen=True)
class ReportData:
    publication: Publication
    headline: Headline
    by_stage_severity: list[tuple[str, str, int, Decimal]]  # stage, severity, exceptions, money
    trend: list[TrendPoint]
    offenders: list[Offender]
    open_exceptions: list[OpenException]
    # check id, why the run did not evaluate it (audit.check_runs.reasons: codes and their table and column)
    not_checked: list[tuple[str, list[dict[str, str | None]]]] = field(default_factory=list)
    changes: Changes | None = None
    ids_derived: bool = False  # every exception_id is md5(id_prefix + check_id|entity_id): report/sql/ids_derived.sql
    tenant: str | None = None  # the shop the report is for; None: the single shop
    # dimension, name, exception_id: which active exceptions each worst offender (not owner) involves
    offender_members: list[tuple[str, str, str]] | pa.Table = field(default_factory=list)
    # exception_id, happened_at, kind, detail, note: report/sql/lifecycle.sql
    lifecycle: list[tuple[str, datetime, str, str | None, str | None]] | pa.Table = field(default_factory=list)


def find_publication(con: duckdb.DuckDBPyConnection, run_id: str | None) -> Publication:
    rows = _rows(con, "publication", run_id=run_id)
    if not rows:
        raise ReportError(
            f"run {run_id} published nothing (a run for an older window does not publish)"
            if run_id else "nothing is published yet: run the hourly reconciliation first"
        )
    return Publication(*rows[0])


def _evidence(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text, parse_float=Decimal)  # keeps 12.50 as written
    except ValueError:
        return {"evidence": text}
    return value if isinstance(value, dict) else {"evidence": value}


def _headline(con: duckdb.DuckDBPyConnection, publication: Publication) -> Headline:
    open_now, acknowledged, money = _rows(con, "headline_active", run_id=publication.run_id)[0]
    open_before = None
    if publication.previous_as_of is not None:
        open_before = _rows(con, "headline_history", as_of=publication.previous_as_of)[0][0]
    events = dict(_rows(con, "events", as_of=publication.as_of))
    ship_due, ship_on_time, delivery_due, delivery_on_time = _rows(con, "on_time", run_id=publication.run_id)[0]
    return Headline(
        open=open_now, acknowledged=acknowledged, money_at_risk=money, open_before=open_before,
        new=events.get("new", 0) + events.get("reopened", 0), reopened=events.get("reopened", 0),
        escalated=events.get("escalated", 0), resolved=events.get("resolved", 0),
        ship_due=ship_due, ship_on_time=ship_on_time, delivery_due=delivery_due, delivery_on_time=delivery_on_time,
    )


def _open_exceptions(con: duckdb.DuckDBPyConnection) -> OpenExceptions:
    # Arrow, not fetchall: 100,000 rows of zoned timestamps and decimals take seconds as Python objects.
    return OpenExceptions(con.execute(_sql("open_list"), {"severities": list(SEVERITIES)}).to_arrow_table())


def _trend_point(as_of: datetime, severities: list[str], counts: list[int], *rest: Any) -> TrendPoint:
    by_severity = {severity: 0 for severity in WORST_FIRST} | dict(zip(severities, counts, strict=True))
    return TrendPoint(as_of, by_severity, *rest)


def id_prefix(tenant: str | None) -> str:
    """What a tenant's exception ids hash before check_id|entity_id (warehouse/ledger/next.sql)."""
    return "" if tenant is None else f"{tenant}|"


def load_report_data(
    con: duckdb.DuckDBPyConnection, run_id: str | None = None, tenant: str | None = None
) -> ReportData:
    """Everything on the page, for the latest publication or the one of `run_id`, as published then.

    Reads only exceptions.*, published.* and audit.check_runs. Uses a temp table, so pass a connection of its own
    (a cursor), not the pipeline's.
    """
    publication = find_publication(con, run_id)
    if not _rows(con, "on_time", run_id=publication.run_id):
        raise ReportError(
            f"run {publication.run_id} was published before publications kept their snapshot: "
            "run its window again to report it"
        )
    con.execute(_sql("active"), {"run_id": publication.run_id})
    offenders = [Offender(*row) for row in _rows(con, "offenders", run_id=publication.run_id, top=TOP_OFFENDERS)]
    chosen = [o for o in offenders if o.dimension != "owner"]  # the list filters owners by its own column
    return ReportData(
        publication=publication,
        headline=_headline(con, publication),
        by_stage_severity=_rows(con, "by_stage_severity", as_of=publication.as_of),
        trend=[_trend_point(*row) for row in _rows(con, "trend", as_of=publication.as_of)],
        offenders=offenders,
        open_exceptions=_open_exceptions(con),
        not_checked=_rows(con, "not_checked", run_id=publication.run_id),
        changes=load_changes(con, publication),
        ids_derived=_rows(con, "ids_derived", prefix=id_prefix(tenant))[0][0],
        tenant=tenant,
        offender_members=con.execute(_sql("offender_members"), {
            "run_id": publication.run_id,
            "dimensions": [o.dimension for o in chosen],
            "names": [o.name for o in chosen],
        }).to_arrow_table(),
        lifecycle=con.execute(_sql("lifecycle"), {"as_of": publication.as_of}).to_arrow_table(),
    )


def _worst_first(change: Change, keys: list[str]) -> tuple:
    """Sort key: the biggest rise in open exceptions, then in money, against the last run, then yesterday, then
    last week; a stage, check or owner with no run to compare sorts by what is open now."""
    key = []
    for comparison in keys:
        delta = change.delta(comparison)
        key += [-(delta[0] if delta else change.open), -(delta[1] if delta else change.money_at_risk)]
    return (*key, -change.open, change.name)


def load_changes(con: duckdb.DuckDBPyConnection, publication: Publication) -> Changes:
    """Open exceptions and money per stage, check and owner at `publication` and at the runs it compares with.

    Reads the runs' snapshots (published.*) only.
    """
    comparisons = []
    for key, before, tolerance in COMPARISONS:
        found = _rows(con, "compare_run", as_of=publication.as_of, target=publication.as_of - before,
                      tolerance_hours=tolerance)
        comparisons.append(Comparison(key, *found[0]) if found else Comparison(key, None, None))
    compared = {c.run_id for c in comparisons if c.run_id}
    history = {
        check_id: list(zip(moments, exceptions, strict=True))
        for check_id, moments, exceptions in _rows(con, "check_history", as_of=publication.as_of)
    }
    # a check open at some run of the week has a row for its history, even if closed now and then
    counts: dict[tuple[str, str], dict[str, tuple[int, Decimal]]] = {("check", c): {} for c in history}
    for run_id, dimension, name, exceptions, money in _rows(
        con, "changes", run_ids=sorted({publication.run_id, *compared})
    ):
        counts.setdefault((dimension, name), {})[run_id] = (exceptions, money)
    nothing = (0, Decimal(0))
    rows = []
    for (dimension, name), by_run in counts.items():
        now = by_run.get(publication.run_id, nothing)
        before = {c.key: by_run.get(c.run_id, nothing) for c in comparisons if c.run_id}
        rows.append(Change(dimension, name, now[0], now[1], before))
    keys = [c.key for c in comparisons if c.run_id]
    rows.sort(key=lambda change: (CHANGE_DIMENSIONS.index(change.dimension), *_worst_first(change, keys)))
    return Changes(comparisons, rows, history)
