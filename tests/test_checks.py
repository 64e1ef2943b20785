"""Each check's SQL on a few literal rows: the offending entities and nothing else."""

from __future__ import annotations

import pytest
from conftest import insert_raw, rows
from test_models import ORDER, build_all, line, seed_catalog

from expectations.catalog import all_checks, load_catalog
from warehouse.database import set_variables

CHECKS = {check.id: check for check in all_checks()}


def offenders(con, check_id: str) -> list[str]:
    return [r[0] for r in rows(con, f"select entity_id from ({CHECKS[check_id].sql}) order by 1")]


def order(order_id: str, **changes) -> dict:
    return {**ORDER, "order_id": order_id, **changes}


def lines_for(*order_ids: str, sku: str = "A") -> list[dict]:
    return [line(o, 1, sku, 2, "100.00", ORDER["updated_at"]) for o in order_ids]


def ship(con, shipment_id: str, order_id: str, shipped_at: str, items: dict[str, int]) -> None:
    insert_raw(con, "shipments", {
        "shipment_id": shipment_id, "order_id": order_id, "warehouse_id": "WH-SP", "carrier": "loggi",
        "tracking_number": f"LG{shipment_id[-1] * 10}", "shipped_at": shipped_at, "declared_weight_kg": "2.0",
    })
    insert_raw(con, "shipment_lines",
               *({"shipment_id": shipment_id, "sku": s, "quantity": q} for s, q in items.items()))


def test_catalog_lists_each_check_once_with_its_sql():
    ids = [check.id for suite in load_catalog() for check in suite.checks]
    assert len(ids) == len(set(ids))
    for check in all_checks():
        assert "entity_id" in check.sql and "amount_at_risk" in check.sql
        # when the problem began, and the rule for it in the header (docs/checks.md)
        assert " as began_at" in check.sql and "-- began_at: " in check.sql, check.id


def test_order_capture_checks(warehouse):
    seed_catalog(warehouse)
    insert_raw(warehouse, "orders",
               order("O-ok"), order("O-neg", total_amount="-1.00"), order("O-cur", currency="ARS"),
               order("O-sum", total_amount="300.00"), order("O-sku"))
    insert_raw(warehouse, "order_lines", *lines_for("O-ok", "O-neg", "O-cur", "O-sum"),
               *lines_for("O-sku", sku="NOPE"))
    build_all(warehouse)
    assert offenders(warehouse, "order_fields_valid") == ["O-cur", "O-neg"]
    assert offenders(warehouse, "order_total_mismatch") == ["O-sum"]
    assert offenders(warehouse, "unknown_sku") == ["O-sku:1"]


@pytest.mark.parametrize(
    ("status", "promised", "shipped_at", "late"),
    [
        ("shipped", "2026-11-27T12:00:00Z", "2026-11-27T11:59:00Z", False),
        ("shipped", "2026-11-27T12:00:00Z", "2026-11-27T12:01:00Z", True),
        ("paid", "2026-11-27T16:00:00Z", None, False),  # promise still ahead of as_of 15:00
        ("paid", "2026-11-27T14:00:00Z", None, True),
        ("partially_shipped", "2026-11-27T14:00:00Z", "2026-11-27T10:00:00Z", True),
        ("pending_payment", "2026-11-27T14:00:00Z", None, False),
        ("cancelled", "2026-11-27T14:00:00Z", None, False),
    ],
)
def test_late_shipment(warehouse, status, promised, shipped_at, late):
    seed_catalog(warehouse)
    insert_raw(warehouse, "orders", order("O-1", status=status, promised_ship_by=promised))
    insert_raw(warehouse, "order_lines", *lines_for("O-1"))
    if shipped_at:
        ship(warehouse, "S-1", "O-1", shipped_at, {"A": 2})
    build_all(warehouse)
    assert offenders(warehouse, "late_shipment") == (["O-1"] if late else [])


def test_wrong_item_and_cancelled_shipments(warehouse):
    seed_catalog(warehouse)
    insert_raw(warehouse, "orders",
               order("O-ok", status="shipped"), order("O-split", status="shipped"),
               order("O-wrong", status="shipped"), order("O-short", status="delivered"),
               order("O-partial", status="partially_shipped"),
               order("O-cancel", status="cancelled", cancelled_at="2026-11-26T13:00:00Z"))
    insert_raw(warehouse, "order_lines",
               *lines_for("O-ok", "O-split", "O-wrong", "O-short", "O-partial", "O-cancel"))
    t = "2026-11-26T20:00:00Z"
    ship(warehouse, "S-1", "O-ok", t, {"A": 2})
    ship(warehouse, "S-2", "O-split", t, {"A": 1})
    ship(warehouse, "S-3", "O-split", t, {"A": 1})
    ship(warehouse, "S-4", "O-wrong", t, {"B": 2})
    ship(warehouse, "S-5", "O-short", t, {"A": 1})
    ship(warehouse, "S-6", "O-partial", t, {"A": 1})
    ship(warehouse, "S-7", "O-cancel", t, {"A": 2})
    build_all(warehouse)
    assert offenders(warehouse, "wrong_item_shipped") == ["O-short", "O-wrong"]
    assert offenders(warehouse, "shipped_cancelled_order") == ["O-cancel"]


def pay(con, order_id: str, kind: str, amount: str, at: str, number: int) -> None:
    insert_raw(con, "payments", {"payment_id": f"P-{order_id}-{number}", "order_id": order_id,
                                 "order_updated_at": ORDER["updated_at"], "kind": kind, "amount": amount,
                                 "currency": "BRL", "occurred_at": at})


def test_payment_checks(warehouse):
    seed_catalog(warehouse)
    cancelled = {"status": "cancelled", "cancelled_at": "2026-11-26T13:00:00Z"}
    insert_raw(warehouse, "orders",
               order("O-ok"), order("O-short"), order("O-refunded", **cancelled),
               order("O-kept", **cancelled), order("O-kept-recent", status="cancelled",
                                                   cancelled_at="2026-11-27T10:00:00Z"),
               order("O-unpaid-old", status="pending_payment", placed_at="2026-11-25T12:00:00Z"),
               order("O-unpaid-new", status="pending_payment", placed_at="2026-11-27T12:00:00Z"))
    insert_raw(warehouse, "order_lines", *lines_for("O-ok", "O-short", "O-refunded", "O-kept", "O-kept-recent",
                                                    "O-unpaid-old", "O-unpaid-new"))
    t = "2026-11-26T12:10:00Z"
    pay(warehouse, "O-ok", "capture", "205.00", t, 1)
    pay(warehouse, "O-short", "capture", "200.00", t, 1)
    pay(warehouse, "O-refunded", "capture", "205.00", t, 1)
    pay(warehouse, "O-refunded", "refund", "205.00", "2026-11-26T14:00:00Z", 2)
    pay(warehouse, "O-kept", "capture", "205.00", t, 1)
    pay(warehouse, "O-kept-recent", "capture", "205.00", t, 1)
    build_all(warehouse)
    assert offenders(warehouse, "paid_amount_mismatch") == ["O-short"]
    assert offenders(warehouse, "cancelled_not_refunded") == ["O-kept"]
    assert offenders(warehouse, "awaiting_payment_too_long") == ["O-unpaid-old"]


def test_not_allocated_in_sla_counts_business_hours(warehouse):
    seed_catalog(warehouse)
    # as_of is Friday 2026-11-27 12:00 in Sao Paulo. Paid Thursday 17:00 local: 4 business hours by Fri 12:00.
    insert_raw(warehouse, "orders", order("O-fast"), order("O-slow"), order("O-waiting"), order("O-fresh"))
    insert_raw(warehouse, "order_lines", *lines_for("O-fast", "O-slow", "O-waiting", "O-fresh"))
    pay(warehouse, "O-fast", "capture", "205.00", "2026-11-26T12:10:00Z", 1)
    pay(warehouse, "O-slow", "capture", "205.00", "2026-11-26T12:10:00Z", 1)
    pay(warehouse, "O-waiting", "capture", "205.00", "2026-11-26T12:10:00Z", 1)
    pay(warehouse, "O-fresh", "capture", "205.00", "2026-11-26T20:00:00Z", 1)  # 17:00 local
    for order_id, at in (("O-fast", "2026-11-26T13:00:00Z"), ("O-slow", "2026-11-26T19:30:00Z")):
        insert_raw(warehouse, "allocations", {"allocation_id": f"A-{order_id}", "order_id": order_id, "line_no": 1,
                                              "sku": "A", "warehouse_id": "WH-SP", "quantity": 2, "allocated_at": at})
    build_all(warehouse)
    assert offenders(warehouse, "not_allocated_in_sla") == ["O-slow", "O-waiting"]


def test_stock_checks(warehouse):
    seed_catalog(warehouse)

    def snap(at: str, sku: str, on_hand: int, allocated: int) -> dict:
        return {"snapshot_at": at, "warehouse_id": "WH-SP", "sku": sku, "on_hand": on_hand, "allocated": allocated}

    day1, day2 = "2026-11-26T03:00:00Z", "2026-11-27T03:00:00Z"
    insert_raw(warehouse, "stock_snapshots",
               snap(day1, "A", 50, 0), snap(day2, "A", 45, 3),    # 50 - 5 picked = 45: fine
               snap(day1, "B", 50, 0), snap(day2, "B", 40, 60),   # oversold, and 50 - 10 = 40: no drift
               snap(day1, "C", 20, 0), snap(day2, "C", 17, 0),    # moved -2, snapshot says -3: drift
               snap(day2, "D", 6, 3))                             # 3 free < reorder point 5
    insert_raw(warehouse, "stock_movements",
               *({"movement_id": f"M-{sku}", "occurred_at": "2026-11-26T15:00:00Z", "warehouse_id": "WH-SP",
                  "sku": sku, "quantity_delta": delta, "reason": "pick", "order_id": ""}
                 for sku, delta in (("A", -5), ("B", -10), ("C", -2))))
    insert_raw(warehouse, "skus", *({"sku": s, "description": s, "unit_weight_kg": "1", "reorder_point": "0"}
                                    for s in ("C",)), {"sku": "D", "description": "D", "unit_weight_kg": "1",
                                                       "reorder_point": "5"})
    build_all(warehouse)
    assert offenders(warehouse, "oversold") == ["WH-SP:B"]
    assert offenders(warehouse, "stock_drift") == ["WH-SP:C"]
    assert offenders(warehouse, "stockout_risk") == ["WH-SP:D"]


def track(con, tracking: str, *events: tuple[str, str]) -> None:
    insert_raw(con, "tracking_events", *({"carrier": "loggi", "tracking_number": tracking, "event_at": at,
                                          "status": status, "location": "Campinas/SP"} for status, at in events))


def test_handover_transit_and_return_checks(warehouse):
    seed_catalog(warehouse)
    ids = ["O-ok", "O-noscan", "O-weekend", "O-bad", "O-silent", "O-dup1", "O-dup2", "O-stall", "O-exc",
           "O-retry", "O-ret", "O-restocked"]
    insert_raw(warehouse, "orders", *(order(o, status="shipped") for o in ids))
    insert_raw(warehouse, "order_lines", *lines_for(*ids))
    tracking = {o: f"LG{n:010d}" for n, o in enumerate(ids)}
    tracking["O-bad"] = "LG123"
    tracking["O-dup2"] = tracking["O-dup1"]
    monday = "2026-11-23T13:00:00Z"  # 10:00 local
    for o in (o for o in ids if o != "O-weekend"):
        insert_raw(warehouse, "shipments", {"shipment_id": f"S-{o}", "order_id": o, "warehouse_id": "WH-SP",
                                            "carrier": "loggi", "tracking_number": tracking[o],
                                            "shipped_at": monday, "declared_weight_kg": "2.0"})
    track(warehouse, tracking["O-ok"], ("label_created", monday), ("picked_up", "2026-11-23T18:00:00Z"),
          ("delivered", "2026-11-26T15:00:00Z"))
    track(warehouse, tracking["O-noscan"], ("label_created", monday))
    track(warehouse, tracking["O-dup1"], ("label_created", monday), ("picked_up", "2026-11-23T18:00:00Z"),
          ("delivered", "2026-11-26T15:00:00Z"))
    track(warehouse, tracking["O-stall"], ("label_created", monday), ("in_transit", "2026-11-23T18:00:00Z"))
    track(warehouse, tracking["O-exc"], ("label_created", monday), ("picked_up", "2026-11-23T18:00:00Z"),
          ("failed_attempt", "2026-11-26T15:00:00Z"))
    track(warehouse, tracking["O-retry"], ("label_created", monday), ("picked_up", "2026-11-23T18:00:00Z"),
          ("failed_attempt", "2026-11-25T15:00:00Z"),
          ("delivered", "2026-11-26T15:00:00Z"))
    track(warehouse, tracking["O-ret"], ("label_created", monday), ("returned_to_sender", "2026-11-24T15:00:00Z"))
    track(warehouse, tracking["O-restocked"], ("label_created", monday),
          ("returned_to_sender", "2026-11-24T15:00:00Z"))
    insert_raw(warehouse, "stock_movements", {"movement_id": "M-1", "occurred_at": "2026-11-24T18:00:00Z",
                                              "warehouse_id": "WH-SP", "sku": "A", "quantity_delta": 2,
                                              "reason": "return", "order_id": "O-restocked"})
    # A parcel shipped Friday 17:30 local and scanned Monday 10:00 is within 24 business hours.
    insert_raw(warehouse, "shipments", {"shipment_id": "S-O-weekend", "order_id": "O-weekend",
                                        "warehouse_id": "WH-SP", "carrier": "loggi",
                                        "tracking_number": tracking["O-weekend"],
                                        "shipped_at": "2026-11-20T20:30:00Z", "declared_weight_kg": "2.0"})
    track(warehouse, tracking["O-weekend"], ("label_created", "2026-11-20T20:30:00Z"),
          ("picked_up", "2026-11-23T13:00:00Z"), ("delivered", "2026-11-25T13:00:00Z"))
    build_all(warehouse)
    assert offenders(warehouse, "no_first_scan") == ["S-O-noscan"]
    assert offenders(warehouse, "unknown_tracking_number") == ["S-O-bad", "S-O-silent"]
    assert offenders(warehouse, "duplicate_tracking_number") == [tracking["O-dup1"]]
    assert offenders(warehouse, "stalled_in_transit") == ["S-O-stall"]
    assert offenders(warehouse, "carrier_exception_open") == ["S-O-exc"]
    assert offenders(warehouse, "return_not_restocked") == []  # 27 business hours < 48
    set_variables(warehouse, {"restock_sla_business_hours": 24})
    assert offenders(warehouse, "return_not_restocked") == ["S-O-ret"]


def test_delivery_and_billing_checks(warehouse):
    seed_catalog(warehouse)
    ids = ["O-ok", "O-late", "O-open", "O-time"]
    placed = "2026-11-21T11:00:00Z"
    insert_raw(warehouse, "orders", *(order(o, status="delivered", placed_at=placed) for o in ids[:2]),
               order("O-open", status="shipped", placed_at=placed),
               order("O-time", status="delivered", placed_at=placed))
    insert_raw(warehouse, "order_lines", *lines_for(*ids))
    for n, o in enumerate(ids):
        pay(warehouse, o, "capture", "205.00", "2026-11-21T12:00:00Z", 1)
        shipped = "2026-11-25T12:00:00Z" if o == "O-time" else "2026-11-22T12:00:00Z"
        insert_raw(warehouse, "shipments", {"shipment_id": f"S-{o}", "order_id": o, "warehouse_id": "WH-SP",
                                            "carrier": "loggi", "tracking_number": f"LG{n:010d}",
                                            "shipped_at": shipped, "declared_weight_kg": "2.0"})
        delivered = {"O-late": "2026-12-02T18:00:00Z"}.get(o, "2026-11-24T12:00:00Z")
        track(warehouse, f"LG{n:010d}", ("label_created", shipped), ("picked_up", shipped), ("delivered", delivered))
    insert_raw(warehouse, "carrier_invoices",
               *({"invoice_id": i, "carrier": "loggi", "tracking_number": t, "billed_weight_kg": w,
                  "charged_amount": "30.00", "service": "standard", "invoiced_at": "2026-11-26T12:00:00Z"}
                 for i, t, w in (("I-ok", "LG0000000000", "2.15"), ("I-heavy", "LG0000000001", "2.5"),
                                 ("I-ghost", "LG9999999999", "1.0"))))
    build_all(warehouse)
    # O-late is delivered after as_of's data cut, so only events up to as_of count: not yet delivered.
    assert offenders(warehouse, "late_delivery") == []
    assert offenders(warehouse, "delivered_not_closed") == ["O-open"]
    assert offenders(warehouse, "impossible_timeline") == ["O-time"]
    assert offenders(warehouse, "billed_weight_mismatch") == ["I-heavy"]
    assert offenders(warehouse, "charge_without_shipment") == ["I-ghost"]


def test_late_delivery(warehouse):
    seed_catalog(warehouse)
    placed = "2026-11-21T11:00:00Z"
    insert_raw(warehouse, "orders",
               order("O-late", status="delivered", placed_at=placed, promised_delivery_by="2026-11-25T12:00:00Z"),
               order("O-ok", status="delivered", placed_at=placed, promised_delivery_by="2026-11-27T12:00:00Z"))
    insert_raw(warehouse, "order_lines", *lines_for("O-late", "O-ok"))
    for n, o in enumerate(("O-late", "O-ok")):
        pay(warehouse, o, "capture", "205.00", "2026-11-21T12:00:00Z", 1)
        insert_raw(warehouse, "shipments", {"shipment_id": f"S-{o}", "order_id": o, "warehouse_id": "WH-SP",
                                            "carrier": "loggi", "tracking_number": f"LG{n:010d}",
                                            "shipped_at": "2026-11-22T12:00:00Z", "declared_weight_kg": "2.0"})
        track(warehouse, f"LG{n:010d}", ("label_created", "2026-11-22T12:00:00Z"),
              ("delivered", "2026-11-26T12:00:00Z"))
    build_all(warehouse)
    assert offenders(warehouse, "late_delivery") == ["O-late"]


def test_each_check_expectation_carries_its_catalog_entry_and_thresholds(warehouse):
    from conftest import AS_OF

    from retaguarda.settings import load_settings
    from tasks.validate import build_suite

    variables = load_settings(environ={"RETAGUARDA__THRESHOLDS__PAYMENT_SLA_HOURS": "72"}).sql_variables(AS_OF)
    payment = next(suite for suite in load_catalog() if suite.stage == "payment")
    metas = [e.meta for e in build_suite(payment, variables).expectations if e.meta["check_id"] != "contract"]
    assert metas[1] == {"check_id": "awaiting_payment_too_long", "stage": "payment", "severity": "low",
                        "owner": "customer-service", "entity": "order", "parameters": {"payment_sla_hours": 72}}
