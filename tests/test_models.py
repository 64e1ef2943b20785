"""Each SQL model on a few literal rows in a real DuckDB."""

from __future__ import annotations

from conftest import AS_OF, insert_raw, rows

from retaguarda.settings import load_settings
from tasks.transform import build_models

ORDER = {
    "order_id": "O-1", "channel": "web", "customer_id": "C-1", "placed_at": "2026-11-26T12:00:00Z",
    "status": "paid", "currency": "BRL", "shipping_amount": "10.00", "discount_amount": "5.00",
    "total_amount": "205.00", "promised_ship_by": "2026-11-27T12:00:00Z",
    "promised_delivery_by": "2026-12-02T12:00:00Z", "ship_to_country": "BR", "ship_to_region": "SP",
    "ship_to_postcode": "01310-100", "cancelled_at": None, "updated_at": "2026-11-26T12:05:00Z",
}


def line(order_id: str, line_no: int, sku: str, quantity: int, price: str, updated_at: str) -> dict:
    return {"order_id": order_id, "order_updated_at": updated_at, "line_no": line_no, "sku": sku,
            "quantity": quantity, "unit_price": price}


def build_all(con) -> None:
    build_models(con, load_settings(environ={}), AS_OF)


def seed_catalog(con) -> None:
    insert_raw(con, "skus",
               *({"sku": s, "description": s, "unit_weight_kg": "1.0", "reorder_point": "5"} for s in ("A", "B")))


def test_staging_orders_keeps_the_latest_version_and_its_lines(warehouse):
    old = {**ORDER, "status": "pending_payment", "updated_at": "2026-11-26T12:00:00Z"}
    insert_raw(warehouse, "orders", ORDER, old)  # the newer version arrives first
    insert_raw(warehouse, "order_lines",
               line("O-1", 1, "A", 1, "100.00", "2026-11-26T12:00:00Z"),
               line("O-1", 1, "A", 2, "100.00", "2026-11-26T12:05:00Z"))
    seed_catalog(warehouse)
    build_all(warehouse)
    assert rows(warehouse, "select status, total_amount from staging.orders") == [("paid", 205)]
    assert rows(warehouse, "select line_no, quantity from staging.order_lines") == [(1, 2)]


def test_order_capture_flags_fields_totals_and_unknown_skus(warehouse):
    seed_catalog(warehouse)
    insert_raw(
        warehouse, "orders",
        ORDER,
        {**ORDER, "order_id": "O-2", "currency": "XYZ", "customer_id": None},
        {**ORDER, "order_id": "O-3", "total_amount": "999.00"},
        {**ORDER, "order_id": "O-4", "placed_at": "2026-11-29T00:00:00Z"},
        {**ORDER, "order_id": "O-5"},
    )
    insert_raw(
        warehouse, "order_lines",
        *(line(o, 1, "A", 2, "100.00", ORDER["updated_at"]) for o in ("O-1", "O-2", "O-3", "O-4")),
        line("O-5", 1, "A", 1, "100.00", ORDER["updated_at"]),
        line("O-5", 2, "ZZZ", 1, "100.00", ORDER["updated_at"]),
    )
    build_all(warehouse)
    result = rows(
        warehouse,
        "select order_id, invalid_fields, total_mismatch, unknown_sku_lines, capture_ok "
        "from core.order_capture order by order_id",
    )
    assert result == [
        ("O-1", [], False, [], True),
        ("O-2", ["missing customer_id", "unknown currency XYZ"], False, [], False),
        ("O-3", [], True, [], False),
        ("O-4", ["placed_at in the future"], False, [], False),
        ("O-5", [], False, ["O-5:2"], False),
    ]


def test_order_fulfillment_compares_ordered_and_shipped_items(warehouse):
    seed_catalog(warehouse)
    shipped = {**ORDER, "status": "shipped"}
    insert_raw(warehouse, "orders", shipped, {**shipped, "order_id": "O-2"})
    insert_raw(warehouse, "order_lines",
               *(line(o, 1, "A", 2, "100.00", ORDER["updated_at"]) for o in ("O-1", "O-2")))
    insert_raw(
        warehouse, "shipments",
        *({"shipment_id": s, "order_id": o, "warehouse_id": "WH-SP", "carrier": "loggi",
           "tracking_number": "LG0000000001", "shipped_at": at, "declared_weight_kg": "2.0"}
          for s, o, at in (("S-1", "O-1", "2026-11-26T15:00:00Z"), ("S-2", "O-1", "2026-11-26T18:00:00Z"),
                           ("S-3", "O-2", "2026-11-26T15:00:00Z"))),
    )
    insert_raw(warehouse, "shipment_lines",
               {"shipment_id": "S-1", "sku": "A", "quantity": 1},
               {"shipment_id": "S-2", "sku": "A", "quantity": 1},
               {"shipment_id": "S-3", "sku": "B", "quantity": 2})
    build_all(warehouse)
    assert rows(
        warehouse,
        "select order_id, shipment_count, last_shipped_at::varchar, ordered_items, shipped_items, items_differ "
        "from core.order_fulfillment order by order_id",
    ) == [
        ("O-1", 2, "2026-11-26 18:00:00+00", "A x2", "A x2", False),
        ("O-2", 1, "2026-11-26 15:00:00+00", "A x2", "B x2", True),
    ]
