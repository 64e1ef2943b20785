"""Business calendar: working days, business hours and Brazilian holidays.

Business time has one source: `working_days` yields the rows of the SQL calendar table,
and the other methods answer the same questions in Python, so an SLA measured in SQL
and one measured here agree to the second.

Holidays come from the `holidays` package: Brazil's national public holidays, the state's
when a subdivision is named, and the optional days businesses close on (Carnival Monday
and Tuesday, Corpus Christi). Other optional days (Ash Wednesday, Christmas Eve...) are
working days; list them in `extra_holidays` where they are not.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import cache, lru_cache
from zoneinfo import ZoneInfo

HOLIDAY_SETS = ("BR", "none")
# Optional days ("ponto facultativo") that shops and warehouses close on, by English name.
CLOSED_OPTIONAL_DAYS = frozenset({"Carnival", "Corpus Christi"})


@cache
def subdivisions() -> tuple[str, ...]:
    """Brazil's states, as the `holidays` package names them."""
    # `holidays` takes about 0.5 s to import: only settings that name a state, and runs, pay it
    import holidays as holiday_data

    return tuple(holiday_data.country_holidays("BR").subdivisions)


@lru_cache(maxsize=1024)
def brazil_holidays(year: int, subdivision: str | None = None) -> frozenset[date]:
    """Brazilian holidays of `year`: national (and the subdivision's) public days plus Carnival and Corpus Christi."""
    import holidays as holiday_data

    public = holiday_data.country_holidays("BR", subdiv=subdivision, years=year, language="en_US")
    optional = holiday_data.country_holidays(
        "BR", subdiv=subdivision, years=year, language="en_US", categories=("optional",)
    )
    closed = {day for day, name in optional.items() if set(name.split("; ")) & CLOSED_OPTIONAL_DAYS}
    return frozenset(public) | frozenset(closed)


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: str = "America/Sao_Paulo"
    open_hour: int = 9
    close_hour: int = 18
    holidays: str = "BR"
    subdivision: str | None = None  # a Brazilian state (e.g. "SP"): its holidays too
    extra_holidays: tuple[date, ...] = ()  # closed days no holiday list knows (company, city)

    def __post_init__(self) -> None:
        if self.holidays not in HOLIDAY_SETS:
            raise ValueError(f"holidays must be one of {HOLIDAY_SETS}, got {self.holidays!r}")
        if self.subdivision is not None and self.subdivision not in subdivisions():
            raise ValueError(f"subdivision must be one of {subdivisions()}, got {self.subdivision!r}")
        if self.subdivision is not None and self.holidays == "none":
            raise ValueError("a subdivision needs holidays 'BR'")
        object.__setattr__(self, "extra_holidays", tuple(sorted(set(self.extra_holidays))))
        if not 0 <= self.open_hour < self.close_hour <= 24:
            raise ValueError(
                f"need 0 <= open_hour < close_hour <= 24, got {self.open_hour}..{self.close_hour}"
            )
        ZoneInfo(self.timezone)  # fails early on an unknown zone

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_holiday(self, d: date) -> bool:
        if d in self.extra_holidays:
            return True
        return self.holidays == "BR" and d in brazil_holidays(d.year, self.subdivision)

    def is_working_day(self, d: date) -> bool:
        return d.weekday() < 5 and not self.is_holiday(d)

    def opening(self, d: date) -> tuple[datetime, datetime]:
        """Open and close of day `d`, in UTC."""
        midnight = datetime.combine(d, time(), self.zone)
        return (
            _local_hour(midnight, self.open_hour).astimezone(UTC),
            _local_hour(midnight, self.close_hour).astimezone(UTC),
        )

    def working_days(self, start: date, end: date) -> list[tuple[date, datetime, datetime]]:
        """(day, open_utc, close_utc) for every working day in [start, end]."""
        rows = []
        d = start
        while d <= end:
            if self.is_working_day(d):
                rows.append((d, *self.opening(d)))
            d += timedelta(days=1)
        return rows

    def business_hours_between(self, a: datetime, b: datetime) -> float:
        """Working time between a and b, in hours; 0 when b <= a."""
        _require_aware(a, b)
        if b <= a:
            return 0.0
        # same-zone datetimes subtract as wall clocks; UTC keeps DST days honest
        a, b = a.astimezone(UTC), b.astimezone(UTC)
        seconds = 0.0
        d = a.astimezone(self.zone).date()
        last = b.astimezone(self.zone).date()
        while d <= last:
            if self.is_working_day(d):
                opens, closes = self.opening(d)
                overlap = (min(b, closes) - max(a, opens)).total_seconds()
                seconds += max(overlap, 0.0)
            d += timedelta(days=1)
        return seconds / 3600

    def add_business_hours(self, t: datetime, hours: float) -> datetime:
        """The instant (UTC) at which `hours` business hours have elapsed after t."""
        _require_aware(t)
        if hours < 0:
            raise ValueError(f"hours must be >= 0, got {hours}")
        if hours == 0:
            return t.astimezone(UTC)
        t = t.astimezone(UTC)  # wall-clock arithmetic in a DST zone would drift
        remaining = timedelta(hours=hours)
        d = t.astimezone(self.zone).date()
        closed_run = 0  # any span is fine, but a year without a working day means no answer
        while closed_run <= 366:
            closed_run += 1
            if self.is_working_day(d):
                closed_run = 0
                opens, closes = self.opening(d)
                begin = max(t, opens)
                if begin < closes:
                    if remaining <= closes - begin:
                        return (begin + remaining).astimezone(UTC)
                    remaining -= closes - begin
            d += timedelta(days=1)
        raise ValueError(f"no working day in the year after {d - timedelta(days=closed_run)}")


def _local_hour(midnight: datetime, hour: int) -> datetime:
    # close_hour may be 24 (the next midnight); combine() cannot express that
    day = midnight.date() + timedelta(days=hour // 24)
    return datetime.combine(day, time(hour % 24), midnight.tzinfo)


def _require_aware(*values: datetime) -> None:
    for v in values:
        if v.tzinfo is None or v.utcoffset() is None:
            raise ValueError(f"naive datetime {v!r}: business time needs a time zone")
