"""Every threshold the checks use, on literal rows one step inside it and one step past it.

The run is at AS_OF: Friday 2026-11-27 15:00 UTC, 12:00 in Sao Paulo (UTC-3, no daylight
saving). Business hours are 9:00-18:00 local (12:00-21:00 UTC), 9 a day; Friday 2026-11-20
is a national holiday (Consciencia Negra). Every boundary instant below is worked out by hand
in a comment from that calendar, never through the warehouse's business-time macros, and the
check's began_at is compared with it too.

Moving any threshold by one step, in the SQL (`>` to `>=`) or in settings (24 to 23 or 25),
fails one of these tests; docs/checks.md lists which.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from conftest import insert_raw, rows
from test_checks import CHECKS, lines_for, order, pay, ship, track
from test_models import build_all, seed_catalog

from retaguarda.calendar import BusinessCalendar


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def found(con, check_id: str) -> dict[str, datetime]:
    """The check's offenders with when each problem began."""
    sql = f"select entity_id, began_at from ({CHECKS[check_id].sql})"
    return dict(rows(con, sql))


def allocate(con, order_id: str, at: str) -> None:
    insert_raw(con, "allocations", {"allocation_id": f"A-{order_id}", "order_id": order_id, "line_no": 1,
                                    "sku": "A", "warehouse_id": "WH-SP", "quantity": 2, "allocated_at": at})


def shipment(con, shipment_id: str, order_id: str, shipped_at: str, tracking: str, weight: str = "2.0") -> None:
    insert_raw(con, "shipments", {"shipment_id": shipment_id, "order_id": order_id, "warehouse_id": "WH-SP",
                                  "carrier": "loggi", "tracking_number": tracking, "shipped_at": shipped_at,
                                  "declared_weight_kg": weight})


def shipped_orders(con, *order_ids: str, **changes) -> None:
    insert_raw(con, "orders", *(order(o, status="shipped", **changes) for o in order_ids))
    insert_raw(con, "order_lines", *lines_for(*order_ids))


# payment_sla_hours = 48 (wall-clock hours from placed_at to as_of, strictly more)


def test_payment_sla_hours(warehouse):
    seed_catalog(warehouse)
    insert_raw(warehouse, "orders",
               order("O-at", status="pending_payment", placed_at="2026-11-25T15:00:00Z"),   # exactly 48 h
               order("O-past", status="pending_payment", placed_at="2026-11-25T14:59:00Z"))  # 48 h 1 min
    insert_raw(warehouse, "order_lines", *lines_for("O-at", "O-past"))
    build_all(warehouse)
    # due at placed + 48 h: Friday 14:59 UTC
    assert found(warehouse, "awaiting_payment_too_long") == {"O-past": utc("2026-11-27T14:59:00Z")}


# refund_grace_hours = 24 (wall-clock hours from cancelled_at to as_of)


def test_refund_grace_hours(warehouse):
    seed_catalog(warehouse)
    insert_raw(warehouse, "orders",
               order("O-at", status="cancelled", cancelled_at="2026-11-26T15:00:00Z"),   # exactly 24 h
               order("O-past", status="cancelled", cancelled_at="2026-11-26T14:59:00Z"))  # 24 h 1 min
    insert_raw(warehouse, "order_lines", *lines_for("O-at", "O-past"))
    pay(warehouse, "O-at", "capture", "205.00", "2026-11-26T12:10:00Z", 1)
    pay(warehouse, "O-past", "capture", "205.00", "2026-11-26T12:10:00Z", 1)
    build_all(warehouse)
    assert found(warehouse, "cancelled_not_refunded") == {"O-past": utc("2026-11-27T14:59:00Z")}


# money_tolerance = 0.01 (a difference of exactly one cent is tolerated, two are not)


def test_money_tolerance_on_refunds(warehouse):
    seed_catalog(warehouse)
    cancelled = {"status": "cancelled", "cancelled_at": "2026-11-25T12:00:00Z"}
    insert_raw(warehouse, "orders", order("O-cent", **cancelled), order("O-two", **cancelled))
    insert_raw(warehouse, "order_lines", *lines_for("O-cent", "O-two"))
    for o, refunded in (("O-cent", "204.99"), ("O-two", "204.98")):
        pay(warehouse, o, "capture", "205.00", "2026-11-24T12:00:00Z", 1)
        pay(warehouse, o, "refund", refunded, "2026-11-25T13:00:00Z", 2)
    build_all(warehouse)
    # due 24 h after the cancellation: Thursday 12:00 UTC
    assert found(warehouse, "cancelled_not_refunded") == {"O-two": utc("2026-11-26T12:00:00Z")}


def test_money_tolerance_on_captures(warehouse):
    seed_catalog(warehouse)
    ids = ("O-under-cent", "O-under-two", "O-over-cent", "O-over-two")
    insert_raw(warehouse, "orders", *(order(o) for o in ids))
    insert_raw(warehouse, "order_lines", *lines_for(*ids))
    for o, captured in zip(ids, ("204.99", "204.98", "205.01", "205.02"), strict=True):
        pay(warehouse, o, "capture", captured, "2026-11-26T12:10:00Z", 1)
    build_all(warehouse)
    paid = utc("2026-11-26T12:10:00Z")
    assert found(warehouse, "paid_amount_mismatch") == {"O-under-two": paid, "O-over-two": paid}


def test_money_tolerance_on_order_totals(warehouse):
    seed_catalog(warehouse)
    # lines 2 x 100.00 + shipping 10.00 - discount 5.00 = 205.00
    ids = ("O-under-cent", "O-under-two", "O-over-cent", "O-over-two")
    insert_raw(warehouse, "orders", *(order(o, total_amount=t) for o, t in
                                      zip(ids, ("204.99", "204.98", "205.01", "205.02"), strict=True)))
    insert_raw(warehouse, "order_lines", *lines_for(*ids))
    build_all(warehouse)
    placed = utc("2026-11-26T12:00:00Z")
    assert found(warehouse, "order_total_mismatch") == {"O-under-two": placed, "O-over-two": placed}


# allocation_sla_business_hours = 4


def test_allocation_sla_still_unallocated(warehouse):
    seed_catalog(warehouse)
    insert_raw(warehouse, "orders", order("O-at"), order("O-past"))
    insert_raw(warehouse, "order_lines", *lines_for("O-at", "O-past"))
    # Paid Thursday 17:00 local: Thursday 17-18 and Friday 9-12 are exactly 4 business hours.
    pay(warehouse, "O-at", "capture", "205.00", "2026-11-26T20:00:00Z", 1)
    # Paid Thursday 16:59 local: 4 h 1 min; the SLA ran out Friday 11:59 local.
    pay(warehouse, "O-past", "capture", "205.00", "2026-11-26T19:59:00Z", 1)
    build_all(warehouse)
    assert found(warehouse, "not_allocated_in_sla") == {"O-past": utc("2026-11-27T14:59:00Z")}


def test_allocation_sla_across_a_holiday_and_a_weekend(warehouse):
    seed_catalog(warehouse)
    placed = "2026-11-19T12:00:00Z"
    insert_raw(warehouse, "orders", order("O-at", placed_at=placed), order("O-past", placed_at=placed))
    insert_raw(warehouse, "order_lines", *lines_for("O-at", "O-past"))
    # Paid Thursday 19 November 17:00 local. Thursday 17-18 is 1 business hour, Friday 20 is a
    # holiday, then the weekend: the 4 hours end Monday 23 at 12:00 local (15:00 UTC).
    for o in ("O-at", "O-past"):
        pay(warehouse, o, "capture", "205.00", "2026-11-19T20:00:00Z", 1)
    allocate(warehouse, "O-at", "2026-11-23T15:00:00Z")
    allocate(warehouse, "O-past", "2026-11-23T15:01:00Z")
    build_all(warehouse)
    assert found(warehouse, "not_allocated_in_sla") == {"O-past": utc("2026-11-23T15:00:00Z")}


# first_scan_sla_business_hours = 24


def test_first_scan_sla_across_a_holiday(warehouse):
    seed_catalog(warehouse)
    shipped_orders(warehouse, "O-at", "O-past")
    # Shipped Thursday 19 November 17:00 local: Thursday 1 h, Friday 20 a holiday, Monday 9 h,
    # Tuesday 9 h, Wednesday 25 9:00-14:00 5 h: 24 business hours at Wednesday 14:00 local.
    shipped = "2026-11-19T20:00:00Z"
    for o, scanned in (("O-at", "2026-11-25T17:00:00Z"), ("O-past", "2026-11-25T17:01:00Z")):
        tracking = "LG000000000" + ("1" if o == "O-at" else "2")
        shipment(warehouse, f"S-{o}", o, shipped, tracking)
        track(warehouse, tracking, ("label_created", shipped), ("picked_up", scanned))
    build_all(warehouse)
    assert found(warehouse, "no_first_scan") == {"S-O-past": utc("2026-11-25T17:00:00Z")}


def test_first_scan_sla_still_unscanned(warehouse):
    seed_catalog(warehouse)
    shipped_orders(warehouse, "O-at", "O-past")
    # Shipped Tuesday 24 at 15:00 local: Tuesday 3 h, Wednesday 9, Thursday 9, Friday 9-12 3: 24.
    # One minute earlier is 24 h 1 min; the SLA ran out Friday 11:59 local.
    for o, shipped, tracking in (("O-at", "2026-11-24T18:00:00Z", "LG0000000001"),
                                 ("O-past", "2026-11-24T17:59:00Z", "LG0000000002")):
        shipment(warehouse, f"S-{o}", o, shipped, tracking)
        track(warehouse, tracking, ("label_created", shipped))
    build_all(warehouse)
    assert found(warehouse, "no_first_scan") == {"S-O-past": utc("2026-11-27T14:59:00Z")}


def test_first_scan_sla_for_a_number_the_carrier_never_reported(warehouse):
    seed_catalog(warehouse)
    shipped_orders(warehouse, "O-at", "O-past", "O-bad")
    shipment(warehouse, "S-O-at", "O-at", "2026-11-24T18:00:00Z", "LG0000000001")    # exactly 24 h
    shipment(warehouse, "S-O-past", "O-past", "2026-11-24T17:59:00Z", "LG0000000002")  # 24 h 1 min
    shipment(warehouse, "S-O-bad", "O-bad", "2026-11-27T14:00:00Z", "LG123")  # malformed: wrong at once
    build_all(warehouse)
    assert found(warehouse, "unknown_tracking_number") == {
        "S-O-past": utc("2026-11-27T14:59:00Z"), "S-O-bad": utc("2026-11-27T14:00:00Z"),
    }


# stalled_business_days = 3 (of 9 business hours: 27)


def test_stalled_business_days(warehouse):
    seed_catalog(warehouse)
    shipped_orders(warehouse, "O-at", "O-past")
    # Last seen Tuesday 24 at 12:00 local: Tuesday 6 h, Wednesday 9, Thursday 9, Friday 3: 27.
    for o, last, tracking in (("O-at", "2026-11-24T15:00:00Z", "LG0000000001"),
                              ("O-past", "2026-11-24T14:59:00Z", "LG0000000002")):
        shipment(warehouse, f"S-{o}", o, "2026-11-23T13:00:00Z", tracking)
        track(warehouse, tracking, ("label_created", "2026-11-23T13:00:00Z"), ("in_transit", last))
    build_all(warehouse)
    assert found(warehouse, "stalled_in_transit") == {"S-O-past": utc("2026-11-27T14:59:00Z")}


# close_grace_hours = 24 (wall-clock hours from the last delivery)


def test_close_grace_hours(warehouse):
    seed_catalog(warehouse)
    shipped_orders(warehouse, "O-at", "O-past")
    for o, delivered, tracking in (("O-at", "2026-11-26T15:00:00Z", "LG0000000001"),
                                   ("O-past", "2026-11-26T14:59:00Z", "LG0000000002")):
        shipment(warehouse, f"S-{o}", o, "2026-11-23T13:00:00Z", tracking)
        track(warehouse, tracking, ("label_created", "2026-11-23T13:00:00Z"),
              ("picked_up", "2026-11-23T18:00:00Z"), ("delivered", delivered))
    build_all(warehouse)
    assert found(warehouse, "delivered_not_closed") == {"O-past": utc("2026-11-27T14:59:00Z")}


# restock_sla_business_hours = 48


def test_restock_sla_across_a_holiday(warehouse):
    seed_catalog(warehouse)
    shipped_orders(warehouse, "O-at", "O-past")
    # Back to sender Thursday 19 at 9:00 local: Thursday 9 h, Friday 20 a holiday, Monday to
    # Thursday 36 h, Friday 27 9-12 3 h: exactly 48. Wednesday 18 at 17:59 local adds one minute;
    # its 48 hours end Friday 27 at 11:59 local.
    for o, returned, tracking in (("O-at", "2026-11-19T12:00:00Z", "LG0000000001"),
                                  ("O-past", "2026-11-18T20:59:00Z", "LG0000000002")):
        shipment(warehouse, f"S-{o}", o, "2026-11-17T13:00:00Z", tracking)
        track(warehouse, tracking, ("label_created", "2026-11-17T13:00:00Z"), ("returned_to_sender", returned))
    build_all(warehouse)
    assert found(warehouse, "return_not_restocked") == {"S-O-past": utc("2026-11-27T14:59:00Z")}


# weight_tolerance_pct = 10


def test_weight_tolerance_pct(warehouse):
    seed_catalog(warehouse)
    shipped_orders(warehouse, "O-at", "O-past")
    shipment(warehouse, "S-O-at", "O-at", "2026-11-23T13:00:00Z", "LG0000000001", weight="1.000")
    shipment(warehouse, "S-O-past", "O-past", "2026-11-23T13:00:00Z", "LG0000000002", weight="1.000")
    insert_raw(warehouse, "carrier_invoices",
               *({"invoice_id": i, "carrier": "loggi", "tracking_number": t, "billed_weight_kg": w,
                  "charged_amount": "30.00", "service": "standard", "invoiced_at": "2026-11-26T12:00:00Z"}
                 for i, t, w in (("I-at", "LG0000000001", "1.100"),      # 10 % over: tolerated
                                 ("I-past", "LG0000000002", "1.101"))))  # 10.1 % over
    build_all(warehouse)
    assert found(warehouse, "billed_weight_mismatch") == {"I-past": utc("2026-11-26T12:00:00Z")}


# clock_skew_minutes = 5, accepted_currencies = [BRL, USD, EUR]


def test_clock_skew_minutes_and_accepted_currencies(warehouse):
    seed_catalog(warehouse)
    updated = "2026-11-27T14:00:00Z"
    ids = ("O-skew-at", "O-skew-past", "O-BRL", "O-USD", "O-EUR", "O-ARS")
    insert_raw(warehouse, "orders",
               order("O-skew-at", placed_at="2026-11-27T15:05:00Z", updated_at=updated),    # as_of + 5 min
               order("O-skew-past", placed_at="2026-11-27T15:06:00Z", updated_at=updated),  # as_of + 6 min
               *(order(f"O-{c}", currency=c) for c in ("BRL", "USD", "EUR", "ARS")))
    insert_raw(warehouse, "order_lines", *lines_for(*ids))
    build_all(warehouse)
    # a placed_at in the future cannot date the problem: the order version's updated_at does
    assert found(warehouse, "order_fields_valid") == {
        "O-skew-past": utc(updated), "O-ARS": utc("2026-11-26T12:00:00Z"),
    }


# promised_ship_by and promised_delivery_by (promises missed strictly after the instant)


def test_promised_ship_by(warehouse):
    seed_catalog(warehouse)
    promised = "2026-11-26T12:00:00Z"
    ids = ("O-shipped-at", "O-shipped-past", "O-open-at", "O-open-past")
    insert_raw(warehouse, "orders",
               order("O-shipped-at", status="shipped", promised_ship_by=promised),
               order("O-shipped-past", status="shipped", promised_ship_by=promised),
               order("O-open-at", promised_ship_by="2026-11-27T15:00:00Z"),     # due at as_of itself
               order("O-open-past", promised_ship_by="2026-11-27T14:59:00Z"))
    insert_raw(warehouse, "order_lines", *lines_for(*ids))
    ship(warehouse, "S-1", "O-shipped-at", promised, {"A": 2})
    ship(warehouse, "S-2", "O-shipped-past", "2026-11-26T12:01:00Z", {"A": 2})
    build_all(warehouse)
    assert found(warehouse, "late_shipment") == {
        "O-shipped-past": utc(promised), "O-open-past": utc("2026-11-27T14:59:00Z"),
    }


def test_promised_delivery_by(warehouse):
    seed_catalog(warehouse)
    promised = "2026-11-26T12:00:00Z"
    insert_raw(warehouse, "orders", *(order(o, status="delivered", promised_delivery_by=promised)
                                      for o in ("O-at", "O-past")))
    insert_raw(warehouse, "order_lines", *lines_for("O-at", "O-past"))
    for o, delivered, tracking in (("O-at", promised, "LG0000000001"),
                                   ("O-past", "2026-11-26T12:01:00Z", "LG0000000002")):
        shipment(warehouse, f"S-{o}", o, "2026-11-23T13:00:00Z", tracking)
        track(warehouse, tracking, ("label_created", "2026-11-23T13:00:00Z"), ("delivered", delivered))
    build_all(warehouse)
    assert found(warehouse, "late_delivery") == {"O-past": utc(promised)}


# stock: allocations against on hand, free stock against the SKU's reorder point (5)


def test_stock_position_boundaries(warehouse):
    seed_catalog(warehouse)  # reorder point 5 for A and B
    at = "2026-11-27T03:00:00Z"
    insert_raw(warehouse, "stock_snapshots",
               *({"snapshot_at": at, "warehouse_id": w, "sku": "A", "on_hand": on_hand, "allocated": allocated}
                 for w, on_hand, allocated in (
                     ("WH-FULL", 10, 10),     # all allocated, not oversold; 0 free < 5
                     ("WH-OVER", 10, 11),     # one unit oversold
                     ("WH-REORDER", 10, 5),   # 5 free: at the reorder point
                     ("WH-BELOW", 10, 6),     # 4 free: below it
                 )))
    build_all(warehouse)
    snapshot = utc(at)
    assert found(warehouse, "oversold") == {"WH-OVER:A": snapshot}
    assert found(warehouse, "stockout_risk") == {"WH-FULL:A": snapshot, "WH-BELOW:A": snapshot}


def test_add_business_hours_matches_the_python_calendar(warehouse):
    """The macro that dates SLA expiries agrees with BusinessCalendar.add_business_hours."""
    build_all(warehouse)
    calendar = BusinessCalendar(timezone="America/Sao_Paulo", open_hour=9, close_hour=18, holidays="BR")
    rng = random.Random(11)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    cases = [(base + timedelta(minutes=rng.randrange(0, 320 * 24 * 60)), rng.choice([0.5, 4, 9, 24, 27, 48]))
             for _ in range(200)]
    for start, hours in cases:
        sql = warehouse.execute("select add_business_hours(?::timestamptz, ?)", [start, hours]).fetchone()[0]
        assert sql == calendar.add_business_hours(start, hours), (start, hours)
