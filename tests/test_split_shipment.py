"""split_shipment_overcharge on literal rows: parcels of one order billed apart within the window."""

from __future__ import annotations

from decimal import Decimal

import pytest
from conftest import insert_raw, rows
from test_checks import CHECKS, lines_for, order
from test_models import build_all, seed_catalog

from retaguarda.settings import load_settings

FIRST = "2026-11-26T10:00:00Z"
WINDOW_HOURS = load_settings(environ={}).thresholds.split_parcel_window_hours


def parcel(con, shipment_id: str, shipped_at: str, *, warehouse: str = "WH-SP", carrier: str = "loggi",
           charged: str | None = "25.00") -> None:
    """A shipment of order O-1 and, unless charged is None, the carrier's invoice for it."""
    tracking = f"LG{shipment_id[-1] * 10}"
    insert_raw(con, "shipments", {"shipment_id": shipment_id, "order_id": "O-1", "warehouse_id": warehouse,
                                  "carrier": carrier, "tracking_number": tracking, "shipped_at": shipped_at,
                                  "declared_weight_kg": "1.0"})
    if charged is not None:
        insert_raw(con, "carrier_invoices", {"invoice_id": f"I-{shipment_id}", "carrier": carrier,
                                             "tracking_number": tracking, "billed_weight_kg": "1.0",
                                             "charged_amount": charged, "service": "standard",
                                             "invoiced_at": "2026-11-27T10:00:00Z"})


def found(con) -> list[tuple]:
    sql = CHECKS["split_shipment_overcharge"].sql
    return rows(con, f"select entity_id, split_parcels, amount_at_risk from ({sql})")


@pytest.fixture
def shop(warehouse):
    seed_catalog(warehouse)
    insert_raw(warehouse, "orders", order("O-1", status="shipped"))
    insert_raw(warehouse, "order_lines", *lines_for("O-1"))
    return warehouse


def _at(minutes_after_first: int) -> str:
    return f"2026-11-26T{10 + minutes_after_first // 60:02d}:{minutes_after_first % 60:02d}:00Z"


@pytest.mark.parametrize(("gap_minutes", "offends"), [(WINDOW_HOURS * 60 - 1, True), (WINDOW_HOURS * 60 + 1, False)])
def test_a_second_billed_parcel_one_minute_inside_or_outside_the_window(shop, gap_minutes, offends):
    parcel(shop, "S-1", FIRST, charged="30.00")
    parcel(shop, "S-2", _at(int(gap_minutes)), charged="25.00")
    build_all(shop)
    assert found(shop) == ([("O-1", 1, Decimal("25.00"))] if offends else [])


def test_the_later_parcels_of_a_chain_are_at_risk_not_the_first(shop):
    parcel(shop, "S-1", FIRST, charged="30.00")
    parcel(shop, "S-2", _at(60), charged="25.00")
    parcel(shop, "S-3", _at(120), charged="20.00")
    build_all(shop)
    assert found(shop) == [("O-1", 2, Decimal("45.00"))]


@pytest.mark.parametrize("other", [{"warehouse": "WH-RJ"}, {"carrier": "jadlog"}, {"charged": None}])
def test_another_warehouse_another_carrier_or_no_invoice_is_not_a_split(shop, other):
    parcel(shop, "S-1", FIRST)
    parcel(shop, "S-2", _at(30), **other)
    build_all(shop)
    assert found(shop) == []
