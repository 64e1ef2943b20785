"""Reconciliation windows: whole hours (backfills: whole local days too), in UTC, named in the configured zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

HOUR = timedelta(hours=1)
STEPS = ("hour", "day")


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    def __post_init__(self) -> None:
        if self.end <= self.start:
            raise ValueError(f"a window must end after it starts: {self.start.isoformat()} to {self.end.isoformat()}")

    def __str__(self) -> str:
        end = f"{self.end:%H:%M}" if self.end - self.start <= HOUR else f"{self.end:%Y-%m-%d %H:%M}"
        return f"{self.start:%Y-%m-%d %H:%M}Z to {end}Z"


def hourly_window(start: datetime | None, timezone: str, now: datetime | None = None) -> Window:
    """The hour starting at `start`, or else the last whole hour in `timezone`."""
    if start is None:
        local_now = (now or datetime.now(UTC)).astimezone(ZoneInfo(timezone))
        start = local_now.replace(minute=0, second=0, microsecond=0) - HOUR
    elif start.tzinfo is None:
        raise ValueError("window_start must carry a time zone, e.g. 2026-11-27T14:00:00Z")
    if (start.minute, start.second, start.microsecond) != (0, 0, 0):
        raise ValueError(f"window_start must be on the hour, got {start.isoformat()}")
    start = start.astimezone(UTC)
    return Window(start=start, end=start + HOUR)


def local_midnight(instant: datetime, timezone: str) -> datetime:
    """The local midnight (in UTC) that starts the day `instant` falls in."""
    zone = ZoneInfo(timezone)
    day = instant.astimezone(zone).date()
    return datetime.combine(day, time(), zone).astimezone(UTC)


def daily_window(start: datetime, timezone: str) -> Window:
    """The local day starting at `start`, which must be a local midnight: 23 to 25 hours across DST."""
    if start.tzinfo is None:
        raise ValueError("window_start must carry a time zone, e.g. 2026-11-27T03:00:00Z")
    if local_midnight(start, timezone) != start:
        raise ValueError(f"a daily window starts at midnight in {timezone}, got {start.isoformat()}")
    zone = ZoneInfo(timezone)
    next_day = start.astimezone(zone).date() + timedelta(days=1)
    return Window(start=start.astimezone(UTC), end=datetime.combine(next_day, time(), zone).astimezone(UTC))


def window_of(start: datetime, timezone: str, step: str) -> Window:
    """The window of this step starting at `start`."""
    if step not in STEPS:
        raise ValueError(f"step must be one of {STEPS}, got {step!r}")
    return hourly_window(start, timezone) if step == "hour" else daily_window(start, timezone)
