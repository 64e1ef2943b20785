"""Business time in SQL (macros over core.business_calendar) equals the Python calendar."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from conftest import AS_OF

from retaguarda.calendar import BusinessCalendar
from retaguarda.settings import load_settings
from tasks.reference import load_reference_tables
from warehouse.database import MACROS


def test_sql_business_hours_match_python_calendar(warehouse):
    settings = load_settings(environ={})
    load_reference_tables(warehouse, settings, AS_OF)
    warehouse.execute(MACROS.read_text())
    calendar = BusinessCalendar(timezone="America/Sao_Paulo", open_hour=9, close_hour=18, holidays="BR")
    rng = random.Random(3)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    pairs = []
    for _ in range(300):
        a = base + timedelta(minutes=rng.randrange(0, 330 * 24 * 60))
        pairs.append((a, a + timedelta(minutes=rng.randrange(0, 10 * 24 * 60))))
    # Friday 20:00 local to Monday 10:00 local across Carnival is one working hour later (Wed 10:00).
    pairs.append((datetime(2026, 2, 13, 23, 0, tzinfo=UTC), datetime(2026, 2, 18, 13, 0, tzinfo=UTC)))
    for a, b in pairs:
        sql = warehouse.execute("select business_hours_between(?::timestamptz, ?::timestamptz)", [a, b]).fetchone()[0]
        assert abs(sql - calendar.business_hours_between(a, b)) < 1e-6, (a, b)
    assert calendar.business_hours_between(*pairs[-1]) == 1.0
