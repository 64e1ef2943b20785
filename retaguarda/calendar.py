"""Business calendar: working days, business hours and Brazilian national holidays.

Business time has one source: `working_days` yields the rows of the SQL calendar table,
and the other methods answer the same questions in Python, so an SLA measured in SQL
and one measured here agree to the second.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

HOLIDAY_SETS = ("BR", "none")


def easter(year: int) -> date:
    """Easter Sunday (anonymous Gregorian algorithm)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    weekday_shift = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * weekday_shift) // 451
    month, day = divmod(h + weekday_shift - 7 * m + 114, 31)
    return date(year, month, day + 1)


@lru_cache(maxsize=256)
def _brazil_holidays(year: int) -> frozenset[date]:
    fixed = [(1, 1), (4, 21), (5, 1), (9, 7), (10, 12), (11, 2), (11, 15), (11, 20), (12, 25)]
    sunday = easter(year)
    movable = [sunday + timedelta(days=n) for n in (-48, -47, -2, 60)]
    return frozenset([date(year, m, d) for m, d in fixed] + movable)


def brazil_holidays(year: int) -> set[date]:
    """National holidays: fixed dates, Carnival Monday and Tuesday, Good Friday, Corpus Christi."""
    return set(_brazil_holidays(year))


@dataclass(frozen=True)
class BusinessCalendar:
    timezone: str = "America/Sao_Paulo"
    open_hour: int = 9
    close_hour: int = 18
    holidays: str = "BR"

    def __post_init__(self) -> None:
        if self.holidays not in HOLIDAY_SETS:
            raise ValueError(f"holidays must be one of {HOLIDAY_SETS}, got {self.holidays!r}")
        if not 0 <= self.open_hour < self.close_hour <= 24:
            raise ValueError(
                f"need 0 <= open_hour < close_hour <= 24, got {self.open_hour}..{self.close_hour}"
            )
        ZoneInfo(self.timezone)  # fails early on an unknown zone

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def is_holiday(self, d: date) -> bool:
        return self.holidays == "BR" and d in _brazil_holidays(d.year)

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
        for _ in range(366 * 20):  # a calendar with no working day must not loop forever
            if self.is_working_day(d):
                opens, closes = self.opening(d)
                begin = max(t, opens)
                if begin < closes:
                    if remaining <= closes - begin:
                        return (begin + remaining).astimezone(UTC)
                    remaining -= closes - begin
            d += timedelta(days=1)
        raise ValueError("no working day within 20 years")


def _local_hour(midnight: datetime, hour: int) -> datetime:
    # close_hour may be 24 (the next midnight); combine() cannot express that
    day = midnight.date() + timedelta(days=hour // 24)
    return datetime.combine(day, time(hour % 24), midnight.tzinfo)


def _require_aware(*values: datetime) -> None:
    for v in values:
        if v.tzinfo is None or v.utcoffset() is None:
            raise ValueError(f"naive datetime {v!r}: business time needs a time zone")
