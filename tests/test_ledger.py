"""The ledger's lifecycle on literal exceptions in a real DuckDB."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from conftest import AS_OF, insert_raw, rows

from retaguarda.settings import load_settings
from tasks.ledger import LedgerError, acknowledge, export_open, update_ledger
from tasks.reference import load_reference_tables
from warehouse.database import MACROS, set_variables

MONDAY = datetime(2026, 11, 23, 13, 0, tzinfo=UTC)  # 10:00 in Sao Paulo


@pytest.fixture
def ledger(warehouse):
    load_reference_tables(warehouse, load_settings(environ={}), AS_OF)
    warehouse.execute(MACROS.read_text())
    # the orders' values the money headline caps by (staging.orders' shape, as the models build it)
    warehouse.execute("create table staging.orders (order_id varchar, total_amount decimal(18, 2))")
    warehouse.execute(
        "insert into exceptions.checks values "
        "('late_shipment', 'picking_packing', 'order', 'medium', 'warehouse-ops', 'late', 9), "
        "('oversold', 'allocation', 'stock_position', 'high', 'planning', 'oversold', null)"
    )
    return warehouse


def run(con, as_of: datetime, *found: tuple, run_id: str | None = None) -> dict[str, int]:
    """Publish a run at as_of that found these (check_id, entity_id[, began_at]) exceptions.

    Without a began_at the problem began at as_of, when the run saw it.
    """
    con.execute(
        "create or replace table exceptions.current (check_id varchar, stage varchar, severity varchar, "
        "owner varchar, entity_type varchar, entity_id varchar, amount_at_risk decimal(18, 2), "
        "as_of timestamptz, began_at timestamptz, evidence varchar)"
    )
    for check_id, entity_id, *began in found:
        con.execute(
            "insert into exceptions.current select check_id, stage, severity, owner, entity_type, ?, 10, ?, ?, '{}' "
            "from exceptions.checks where check_id = ?",
            [entity_id, as_of, began[0] if began else as_of, check_id],
        )
    set_variables(con, {"as_of": as_of})
    return update_ledger(con, run_id or as_of.isoformat(), as_of)


def ledger_rows(con) -> list[tuple]:
    return rows(con, "select entity_id, status, severity, occurrences, reopen_count, resolved_at "
                     "from exceptions.ledger order by entity_id")


def test_new_resolved_and_reopened_keep_one_id(ledger):
    t1, t2, t3 = MONDAY, MONDAY + timedelta(hours=1), MONDAY + timedelta(hours=2)
    assert run(ledger, t1, ("late_shipment", "O-1"), ("late_shipment", "O-2")) == {"new": 2}
    ids = rows(ledger, "select exception_id from exceptions.ledger order by entity_id")
    assert run(ledger, t2, ("late_shipment", "O-2")) == {"resolved": 1}
    assert run(ledger, t3, ("late_shipment", "O-1"), ("late_shipment", "O-2")) == {"reopened": 1}
    assert rows(ledger, "select exception_id from exceptions.ledger order by entity_id") == ids
    assert ledger_rows(ledger) == [
        ("O-1", "reopened", "medium", 2, 1, None),
        ("O-2", "open", "medium", 3, 0, None),
    ]
    assert rows(ledger, "select opened_at, first_seen_at from exceptions.ledger where entity_id = 'O-1'") == [
        (t3, t1)
    ]


def test_the_same_window_twice_changes_nothing(ledger):
    run(ledger, MONDAY, ("late_shipment", "O-1"), ("oversold", "WH:A"))
    run(ledger, MONDAY + timedelta(hours=1), ("late_shipment", "O-1"))
    first = rows(ledger, "select * from exceptions.ledger order by exception_id")
    assert run(ledger, MONDAY + timedelta(hours=1), ("late_shipment", "O-1")) == {}
    assert rows(ledger, "select * from exceptions.ledger order by exception_id") == first


def test_severity_escalates_with_business_age_and_lifts_an_acknowledgement(ledger):
    run(ledger, MONDAY, ("late_shipment", "O-1"), ("oversold", "WH:A"))
    exception_id = rows(ledger, "select exception_id from exceptions.ledger where entity_id = 'O-1'")[0][0]
    acknowledge(ledger, exception_id, "ana", "calling the DC", now=MONDAY + timedelta(minutes=5))
    # Saturday: only Monday's 8 working hours have passed, below the 9 of one level.
    assert run(ledger, MONDAY + timedelta(days=5, hours=-5)) == {"resolved": 2}
    assert run(ledger, MONDAY + timedelta(days=5), ("late_shipment", "O-1"), ("oversold", "WH:A")) == {
        "reopened": 2
    }
    run(ledger, MONDAY + timedelta(days=5, hours=1), ("late_shipment", "O-1"), ("oversold", "WH:A"))
    run(ledger, MONDAY + timedelta(days=7), ("late_shipment", "O-1"), ("oversold", "WH:A"))
    # Monday 10:00 after a reopen on Saturday 10:00: one working hour, below the 9 of one level.
    assert rows(ledger, "select entity_id, severity from exceptions.ledger order by entity_id") == [
        ("O-1", "medium"), ("WH:A", "high")
    ]
    events = run(ledger, MONDAY + timedelta(days=7, hours=9), ("late_shipment", "O-1"), ("oversold", "WH:A"))
    assert events == {"escalated": 1}
    assert rows(ledger, "select entity_id, severity from exceptions.ledger order by entity_id") == [
        ("O-1", "high"), ("WH:A", "high")  # oversold has no escalation configured
    ]


def test_acknowledged_exception_returns_when_it_gets_worse(ledger):
    run(ledger, MONDAY, ("late_shipment", "O-1"))
    exception_id = rows(ledger, "select exception_id from exceptions.ledger")[0][0]
    acknowledge(ledger, exception_id, "ana", "calling the DC", now=MONDAY + timedelta(minutes=5))
    run(ledger, MONDAY + timedelta(hours=4), ("late_shipment", "O-1"))
    assert rows(ledger, "select status, acknowledged_by from exceptions.ledger") == [("acknowledged", "ana")]
    assert run(ledger, MONDAY + timedelta(days=1), ("late_shipment", "O-1")) == {"escalated": 1}
    assert rows(ledger, "select status, severity from exceptions.ledger") == [("open", "high")]


def test_snooze_ends_on_time(ledger):
    run(ledger, MONDAY, ("oversold", "WH:A"))
    exception_id = rows(ledger, "select exception_id from exceptions.ledger")[0][0]
    acknowledge(ledger, exception_id, "bia", "supplier delivers Tuesday", now=MONDAY,
                snooze_until=MONDAY + timedelta(hours=2))
    run(ledger, MONDAY + timedelta(hours=1), ("oversold", "WH:A"))
    assert rows(ledger, "select status from exceptions.ledger") == [("acknowledged",)]
    run(ledger, MONDAY + timedelta(hours=2), ("oversold", "WH:A"))
    assert rows(ledger, "select status, note from exceptions.ledger") == [("open", "supplier delivers Tuesday")]
    assert rows(ledger, "select action, actor from exceptions.ledger_actions") == [("snooze", "bia")]


def test_acknowledge_refuses_what_it_cannot_do(ledger):
    run(ledger, MONDAY, ("oversold", "WH:A"))
    exception_id = rows(ledger, "select exception_id from exceptions.ledger")[0][0]
    with pytest.raises(LedgerError, match="no exception"):
        acknowledge(ledger, "nope", "ana", "x", now=MONDAY)
    with pytest.raises(LedgerError, match="a note"):
        acknowledge(ledger, exception_id, "ana", " ", now=MONDAY)
    run(ledger, MONDAY + timedelta(hours=1))
    with pytest.raises(LedgerError, match="resolved"):
        acknowledge(ledger, exception_id, "ana", "late", now=MONDAY)


def test_history_and_exports(ledger, tmp_path):
    run(ledger, MONDAY, ("late_shipment", "O-1"), ("late_shipment", "O-2"), ("oversold", "WH:A"))
    run(ledger, MONDAY + timedelta(hours=1), ("late_shipment", "O-1"), ("oversold", "WH:A"))
    assert rows(ledger, "select as_of, check_id, status, exceptions from exceptions.history order by all") == [
        (MONDAY, "late_shipment", "open", 2),
        (MONDAY, "oversold", "open", 1),
        (MONDAY + timedelta(hours=1), "late_shipment", "open", 1),
        (MONDAY + timedelta(hours=1), "late_shipment", "resolved", 1),
        (MONDAY + timedelta(hours=1), "oversold", "open", 1),
    ]
    parquet, csv = export_open(ledger, tmp_path / "exports")
    assert rows(ledger, "select entity_id from read_parquet(?) order by 1", str(parquet)) == [("O-1",), ("WH:A",)]
    assert rows(ledger, "select count(*) from read_csv(?)", str(csv)) == [(2,)]


def test_a_new_exception_is_as_old_as_its_problem(ledger):
    # Seen first on Wednesday 10:00 local; the promise was missed the Friday before at 17:00
    # local, and Friday 20 November 2026 is a holiday (Consciencia Negra): Monday 9-18 and
    # Tuesday 9-18 are the working hours between, 18 in all, plus Wednesday 9-10: 19.
    missed = datetime(2026, 11, 20, 20, 0, tzinfo=UTC)
    seen = datetime(2026, 11, 25, 13, 0, tzinfo=UTC)
    assert run(ledger, seen, ("late_shipment", "O-1", missed), ("oversold", "WH:A")) == {"new": 2}
    assert rows(ledger, "select entity_id, opened_at, first_seen_at, age_business_hours, severity "
                        "from exceptions.ledger order by entity_id") == [
        ("O-1", missed, seen, 19.0, "critical"),  # medium + floor(19 / 9) = two levels up
        ("WH:A", seen, seen, 0.0, "high"),
    ]
    assert rows(ledger, "select event, opened_at from exceptions.ledger_events order by opened_at") == [
        ("new", missed), ("new", seen),
    ]
    # the next run keeps the episode's start and ages it from there
    run(ledger, seen + timedelta(hours=1), ("late_shipment", "O-1", missed))
    assert rows(ledger, "select opened_at, first_seen_at, age_business_hours from exceptions.ledger "
                        "where entity_id = 'O-1'") == [(missed, seen, 20.0)]


def test_a_reopened_episode_starts_no_earlier_than_its_last_resolution(ledger):
    began = MONDAY - timedelta(days=3)
    run(ledger, MONDAY, ("late_shipment", "O-1", began), ("late_shipment", "O-2", began))
    run(ledger, MONDAY + timedelta(hours=1))
    # O-1 came back with the same start, O-2 with a start after it was resolved
    later = MONDAY + timedelta(hours=1, minutes=30)
    run(ledger, MONDAY + timedelta(hours=2), ("late_shipment", "O-1", began), ("late_shipment", "O-2", later))
    assert rows(ledger, "select entity_id, status, opened_at, first_seen_at from exceptions.ledger "
                        "order by entity_id") == [
        ("O-1", "reopened", MONDAY + timedelta(hours=1), MONDAY),
        ("O-2", "reopened", later, MONDAY),
    ]


def test_the_money_headline_counts_each_order_once_and_never_more_than_it_is_worth(warehouse):
    from test_checks import lines_for, order, pay, ship
    from test_models import seed_catalog

    from expectations.catalog import load_catalog
    from tasks.materialise import materialise_checks
    from tasks.publish import publish
    from tasks.transform import build_models

    settings = load_settings(environ={})
    seed_catalog(warehouse)
    monday = "2026-11-23T13:00:00Z"
    # O-1 (worth 205.00) shipped the wrong items late, was under-captured, and its parcel was never
    # scanned; O-2 (205.00) is unshipped past its promise; O-3 (205.00) was cancelled after a
    # capture of 500.00 that was never refunded: more at risk than the order is worth.
    insert_raw(warehouse, "orders",
               order("O-1", status="shipped", promised_ship_by="2026-11-23T12:00:00Z"),
               order("O-2", status="paid", promised_ship_by="2026-11-23T12:00:00Z"),
               order("O-3", status="cancelled", cancelled_at="2026-11-24T12:00:00Z"))
    insert_raw(warehouse, "order_lines", *lines_for("O-1", "O-2", "O-3"))
    pay(warehouse, "O-1", "capture", "200.00", "2026-11-22T12:00:00Z", 1)
    pay(warehouse, "O-2", "capture", "205.00", "2026-11-22T12:00:00Z", 1)
    pay(warehouse, "O-3", "capture", "500.00", "2026-11-22T12:00:00Z", 1)
    ship(warehouse, "S-1", "O-1", monday, {"B": 2})
    insert_raw(warehouse, "tracking_events", {"carrier": "loggi", "tracking_number": "LG1111111111",
                                              "event_at": monday, "status": "label_created", "location": "SP"})
    build_models(warehouse, settings, AS_OF)
    materialise_checks(warehouse, load_catalog(), AS_OF)
    publish(warehouse, load_catalog(), settings, "r1", AS_OF)

    found = rows(warehouse, "select check_id, entity_id, amount_at_risk from exceptions.ledger order by all")
    o1_checks = {check for check, entity, _ in found if entity in ("O-1", "S-1")}
    assert {"late_shipment", "wrong_item_shipped", "paid_amount_mismatch", "no_first_scan"} <= o1_checks
    assert ("cancelled_not_refunded", "O-3", 500) in found
    assert {entity for _, entity, _ in found} == {"O-1", "S-1", "O-2", "O-3"}  # nothing outside the 3 orders
    per_check_sum = sum(amount for _, _, amount in found)
    headline = rows(warehouse, "select money_at_risk from exceptions.publications")[0][0]
    worth = 3 * 205  # the three orders' totals, as written above
    assert per_check_sum > worth  # the per-check figures overlap
    assert headline == worth

    # the first run already ages from when the problem began: O-1's ship-by promise, Monday 9:00
    # local; to Friday 12:00 local that is Monday to Thursday 9 h each plus 3 h: 39 business hours
    promised = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
    assert rows(warehouse, "select began_at from exceptions.late_shipment where entity_id = 'O-1'") == [(promised,)]
    assert rows(warehouse, "select began_at from exceptions.current "
                           "where check_id = 'late_shipment' and entity_id = 'O-1'") == [(promised,)]
    assert rows(warehouse, "select opened_at, first_seen_at, age_business_hours from exceptions.ledger "
                           "where check_id = 'late_shipment' and entity_id = 'O-1'") == [(promised, AS_OF, 39.0)]


def test_the_open_export_csv_defuses_formulas_and_the_parquet_keeps_the_text(ledger, tmp_path):
    import csv

    from report.csv_cells import FORMULA_STARTS

    entities = [start + "HYPERLINK(1)" for start in FORMULA_STARTS] + ["O-1=2"]
    run(ledger, MONDAY, *[("late_shipment", entity) for entity in entities])
    exception_id = rows(ledger, "select exception_id from exceptions.ledger where entity_id = 'O-1=2'")[0][0]
    acknowledge(ledger, exception_id, "=ana", "@SUM(A1)", now=MONDAY + timedelta(minutes=5))
    parquet, exported = export_open(ledger, tmp_path / "exports")
    with exported.open(newline="") as file:
        written = list(csv.DictReader(file))
    # a spreadsheet reads a leading apostrophe as "text"; nothing else in a cell changes
    assert sorted(row["entity_id"] for row in written) == sorted(
        ["'" + entity for entity in entities[:-1]] + ["O-1=2"])
    acknowledged = next(row for row in written if row["entity_id"] == "O-1=2")
    assert (acknowledged["acknowledged_by"], acknowledged["note"]) == ("'=ana", "'@SUM(A1)")
    assert sorted(r[0] for r in rows(ledger, "select entity_id from read_parquet(?)", str(parquet))) == sorted(entities)
