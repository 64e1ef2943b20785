"""Business time in SQL (macros over core.business_calendar) equals the Python calendar."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest
from conftest import AS_OF, insert_raw

from retaguarda.calendar import BusinessCalendar
from retaguarda.settings import load_settings
from tasks.reference import load_reference_tables
from tasks.transform import build_models
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


def test_business_time_covers_the_staged_data_however_old(warehouse):
    placed = AS_OF - timedelta(days=1500)  # years before the calendar's default reach
    promised = AS_OF + timedelta(days=400)
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    insert_raw(warehouse, "orders", {
        "order_id": "O-OLD", "channel": "web", "customer_id": "C-1", "placed_at": placed.strftime(stamp),
        "status": "paid", "currency": "BRL", "shipping_amount": "0.00", "discount_amount": "0.00",
        "total_amount": "10.00", "promised_ship_by": None, "promised_delivery_by": promised.strftime(stamp),
        "ship_to_country": "BR", "ship_to_region": "SP", "ship_to_postcode": "01000-000",
        "cancelled_at": None, "updated_at": placed.strftime(stamp),
    })
    settings = load_settings(environ={})
    build_models(warehouse, settings, AS_OF)
    sql_old, sql_ahead = warehouse.execute(
        "select business_hours_between(placed_at, getvariable('as_of')), "
        "business_hours_between(getvariable('as_of'), promised_delivery_by) from staging.orders"
    ).fetchone()
    calendar = settings.calendar.business_calendar()
    assert sql_old == pytest.approx(calendar.business_hours_between(placed, AS_OF))
    assert sql_ahead == pytest.approx(calendar.business_hours_between(AS_OF, promised))
    assert sql_old > 9 * 200 * 4  # four years of working days, not null


def test_business_time_reaches_the_ledger_three_years_back(warehouse):
    """An exception open for three years has an age: the calendar spans the ledger, not a fixed reach."""
    from test_ledger import run

    opened = datetime(2023, 3, 6, 13, 0, tzinfo=UTC)
    later = opened + timedelta(days=3 * 365)
    settings = load_settings(environ={})
    warehouse.execute("create table staging.orders "
                      "(order_id varchar, total_amount decimal(18, 2), _batch_id varchar, _row_number bigint)")
    warehouse.execute("insert into exceptions.checks values "
                      "('oversold', 'allocation', 'stock_position', 'high', 'planning', 'oversold', null)")
    load_reference_tables(warehouse, settings, opened)
    warehouse.execute(MACROS.read_text())
    run(warehouse, opened, ("oversold", "WH:A"))
    load_reference_tables(warehouse, settings, later)  # no staged data reaches back to `opened`
    warehouse.execute(MACROS.read_text())
    run(warehouse, later, ("oversold", "WH:A", opened))
    age = warehouse.execute("select age_business_hours from exceptions.ledger").fetchone()[0]
    expected = settings.calendar.business_calendar().business_hours_between(opened, later)
    assert expected > 9 * 240 * 3 and age == pytest.approx(expected)
