"""Reconciliation windows: whole hours, stored in UTC, named in the configured zone."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

HOUR = timedelta(hours=1)


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime

    def __str__(self) -> str:
        return f"{self.start:%Y-%m-%d %H:%M}Z to {self.end:%H:%M}Z"


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
