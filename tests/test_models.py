"""Each SQL model on a few literal rows in a real DuckDB."""

from __future__ import annotations

import re

import pytest
from conftest import AS_OF, insert_raw, rows

from retaguarda.settings import load_settings
from tasks.transform import build_models
from warehouse.database import CORE_MODELS, SQL_DIR, STAGING_MODELS, WarehouseError, model_order

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


def write_models(root, layer: str, **sql: str) -> None:
    (root / layer).mkdir(parents=True, exist_ok=True)
    for name, text in sql.items():
        (root / layer / f"{name}.sql").write_text(text)


def test_models_are_built_after_the_models_they_read(tmp_path):
    write_models(
        tmp_path, "core",
        a="-- reads core.c only in this comment\ncreate or replace table core.a as select * from core.b",
        b="create or replace table core.b as select * from staging.x join core.tracking_formats using (k)",
        c="create or replace table core.c as select * from core.a, core.b",
    )
    assert model_order("core", tmp_path) == ("b", "a", "c")


def test_a_cycle_or_a_read_of_a_later_layer_is_refused(tmp_path):
    write_models(tmp_path, "core", a="select * from core.b", b="select * from core.a")
    with pytest.raises(WarehouseError, match=r"cycle: \['a', 'b'\]"):
        model_order("core", tmp_path)
    write_models(tmp_path, "staging", x="select * from core.a")
    with pytest.raises(WarehouseError, match="staging/x.sql reads core.a, built after staging"):
        model_order("staging", tmp_path)


def test_the_project_order_puts_every_model_after_what_it_reads():
    for layer, order in (("staging", STAGING_MODELS), ("core", CORE_MODELS)):
        assert sorted(order) == sorted(path.stem for path in (SQL_DIR / layer).glob("*.sql"))
        for position, name in enumerate(order):
            text = (SQL_DIR / layer / f"{name}.sql").read_text()
            read = {other for other in order if other != name and re.search(rf"\b{layer}\.{other}\b", text)}
            assert read <= set(order[:position]), f"{layer}.{name} built before {read - set(order[:position])}"


def test_staging_keeps_the_last_landed_row_known_at_as_of(warehouse):
    shipment = {"shipment_id": "S-1", "order_id": "O-1", "warehouse_id": "WH-SP", "carrier": "loggi",
                "tracking_number": "LG0000000001", "shipped_at": "2026-11-26T15:00:00Z", "declared_weight_kg": "2.0"}
    insert_raw(warehouse, "shipments", shipment, {**shipment, "declared_weight_kg": "2.5"},
               {**shipment, "shipment_id": "S-2", "shipped_at": "2026-11-28T15:00:00Z"})  # after as_of
    insert_raw(warehouse, "shipment_lines", {"shipment_id": "S-1", "sku": "A", "quantity": "1"},
               {"shipment_id": "S-2", "sku": "A", "quantity": "1"})
    seed_catalog(warehouse)
    build_all(warehouse)
    assert rows(warehouse, "select shipment_id, declared_weight_kg::varchar, _row_number from staging.shipments") == [
        ("S-1", "2.500", 2),
    ]
    assert rows(warehouse, "select shipment_id, quantity from staging.shipment_lines") == [("S-1", 1)]


def payment(payment_id: str, order_id: str, kind: str, amount: str) -> dict:
    return {"payment_id": payment_id, "order_id": order_id, "order_updated_at": ORDER["updated_at"], "kind": kind,
            "amount": amount, "currency": "BRL", "occurred_at": "2026-11-26T13:00:00Z"}


def core_tables(con) -> dict[str, list]:
    return {model: sorted(rows(con, f"select * from core.{model}"), key=repr) for model in CORE_MODELS}


def test_a_build_recomputes_only_the_orders_a_new_batch_touched_and_equals_a_full_build(warehouse):
    seed_catalog(warehouse)
    insert_raw(warehouse, "orders", ORDER, {**ORDER, "order_id": "O-2"})
    insert_raw(warehouse, "order_lines", *(line(o, 1, "A", 2, "100.00", ORDER["updated_at"]) for o in ("O-1", "O-2")))
    insert_raw(warehouse, "payments", payment("P-1", "O-1", "capture", "205.00"),
               payment("P-2", "O-2", "capture", "205.00"))
    build_all(warehouse)
    state = "select incremental, orders_recomputed from core.build_state"
    assert rows(warehouse, state) == [(False, 2)]

    # a later batch refunds O-1; O-2 is settled and keeps its rows
    insert_raw(warehouse, "payments", payment("P-3", "O-1", "refund", "205.00"))
    warehouse.execute("update raw.payments set _batch_id = 'later' where payment_id = 'P-3'")
    build_all(warehouse)
    assert rows(warehouse, state) == [(True, 1)]
    assert rows(warehouse, "select order_id, refunded_amount from core.order_payments order by order_id") == [
        ("O-1", 205), ("O-2", 0)]

    incremental = core_tables(warehouse)
    warehouse.execute("drop table core.build_state")  # the next build is full
    build_all(warehouse)
    assert rows(warehouse, state) == [(False, 2)]
    assert core_tables(warehouse) == incremental


def test_a_build_with_other_settings_recomputes_every_order(warehouse):
    seed_catalog(warehouse)
    insert_raw(warehouse, "orders", ORDER, {**ORDER, "order_id": "O-2"})
    build_all(warehouse)
    build_models(warehouse, load_settings(environ={"RETAGUARDA__THRESHOLDS__MONEY_TOLERANCE": "7"}), AS_OF)
    assert rows(warehouse, "select incremental, orders_recomputed from core.build_state") == [(False, 2)]
    build_all(warehouse)
    assert rows(warehouse, "select incremental, orders_recomputed from core.build_state") == [(False, 2)]
    build_all(warehouse)
    assert rows(warehouse, "select incremental, orders_recomputed from core.build_state") == [(True, 0)]
