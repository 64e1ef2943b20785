"""Business time on integer UTC epoch seconds, fast enough for millions of calls.

Built from `BusinessCalendar.working_days`, the same rows the SQL calendar table is
made of, so the simulator and the pipeline agree on every SLA. Lookups are bisections
over a cumulative count of business seconds instead of day-by-day loops.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from datetime import date, datetime, time, timedelta

from retaguarda.calendar import BusinessCalendar

DAY = 86_400
HOUR = 3_600


class Clock:
    def __init__(self, calendar: BusinessCalendar, first: date, last: date) -> None:
        rows = calendar.working_days(first, last)
        self.opens = [int(o.timestamp()) for _, o, _ in rows]
        self.closes = [int(c.timestamp()) for _, _, c in rows]
        self.cum_start: list[int] = []
        self.cum_end: list[int] = []
        total = 0
        for o, c in zip(self.opens, self.closes, strict=True):
            self.cum_start.append(total)
            total += c - o
            self.cum_end.append(total)
        self.first_ordinal = first.toordinal()
        days = (last - first).days + 1
        self.midnights = [
            int(datetime.combine(first + timedelta(days=k), time(), calendar.zone).timestamp())
            for k in range(days + 1)
        ]
        working = {d.toordinal() for d, _, _ in rows}
        self.working = [self.first_ordinal + k in working for k in range(days + 1)]

    def _business_seconds_at(self, t: int) -> int:
        i = bisect_right(self.opens, t) - 1
        if i < 0:
            return 0
        return self.cum_start[i] + min(t, self.closes[i]) - self.opens[i]

    def add(self, t: int, hours: float) -> int:
        """The instant at which `hours` business hours have elapsed after t."""
        if hours <= 0:
            return t
        target = self._business_seconds_at(t) + round(hours * HOUR)
        j = bisect_left(self.cum_end, target)
        return self.opens[j] + target - self.cum_start[j]

    def between(self, a: int, b: int) -> float:
        """Business hours between a and b (0 when b <= a)."""
        if b <= a:
            return 0.0
        return (self._business_seconds_at(b) - self._business_seconds_at(a)) / HOUR

    def day(self, t: int) -> int:
        """Local calendar day of t, as a date ordinal."""
        return bisect_right(self.midnights, t) - 1 + self.first_ordinal

    def at(self, ordinal: int, hours: float) -> int:
        """Local wall-clock time `hours` after midnight of the given day (no DST in Sao Paulo)."""
        return self.midnights[ordinal - self.first_ordinal] + round(hours * HOUR)

    def local_hour(self, t: int) -> int:
        return (t - self.midnights[self.day(t) - self.first_ordinal]) // HOUR

    def is_working(self, ordinal: int) -> bool:
        return self.working[ordinal - self.first_ordinal]

    def next_working(self, ordinal: int) -> int:
        """The first working day on or after `ordinal`."""
        while not self.is_working(ordinal):
            ordinal += 1
        return ordinal

    @staticmethod
    def weekday(ordinal: int) -> int:
        return date.fromordinal(ordinal).weekday()
