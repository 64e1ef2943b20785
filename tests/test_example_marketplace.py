"""The marketplace example (examples/marketplace/), run through the real hourly flow twice.

The export has order rows with several timestamps, items, payments and a product list: no
stock feed, no carrier feed. Each order in it is a case; the exceptions expected are worked
out by hand below, one comment per case, not read back from the warehouse.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import rows, write_settings

from expectations.catalog import all_checks
from flows.hourly_reconciliation import hourly_reconciliation

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "marketplace"
# Monday 2026-11-30, 10:00 to 11:00 in São Paulo, then the hour after: weeks after every order.
FIRST_WINDOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)

# Checks whose inputs the export does not have, and why, as the run must say it: no
# allocation feed, no stock snapshots or movements, no carrier invoices, and no
# cancellation time (the export has order statuses only). These yield nothing.
NOT_EVALUATED = {
    "not_allocated_in_sla": "no allocations feed",
    "oversold": "no stock_snapshots feed",
    "stock_drift": "no stock_snapshots feed; no stock_movements feed",
    "stockout_risk": "no stock_snapshots feed; skus.reorder_point is empty in every row",
    "return_not_restocked": "no stock_movements feed",
    "billed_weight_mismatch": "no carrier_invoices feed",
    "charge_without_shipment": "no carrier_invoices feed",
    "split_shipment_overcharge": "no carrier_invoices feed",
    "cancelled_not_refunded": "orders.cancelled_at is empty in every row",
}

EXPECTED = {
    # ord-01: delivered three days before the estimated date, all paid: nothing.
    # ord-02: delivered at 23:59 local on the estimated day (2026-11-11): on time, nothing.
    # ord-03: delivered at 00:01 local the day after the estimated day: late.
    ("late_delivery", "ord-03"),
    # ord-04: delivered at 10:00 the day after the estimated day: late.
    ("late_delivery", "ord-04"),
    # ord-05 (approved) and ord-06 (invoiced): paid, never handed to the carrier, ship-by 2026-11-19 passed.
    ("late_shipment", "ord-05"),
    ("late_shipment", "ord-06"),
    # ord-07: paid on 2026-11-28, ship-by 2026-12-02 not yet reached: nothing.
    # ord-08: handed over 11-05 14:00, after its item's shipping limit 11-05 12:00.
    ("late_shipment", "ord-08"),
    # ord-09: payments 100.00 for a total of 115.00 (100.00 item + 15.00 freight).
    ("paid_amount_mismatch", "ord-09"),
    # ord-10: cancelled after it was handed over: the parcel exists, and its last carrier
    # event is the pick-up of 11-05, weeks of working days ago.
    ("shipped_cancelled_order", "ord-10"),
    ("stalled_in_transit", "SHP-ord-10"),
    # ord-11: created on 11-16, never paid: past the 48-hour payment SLA.
    ("awaiting_payment_too_long", "ord-11"),
    # ord-12: created on 11-29 09:00 local, 25 to 26 hours before as_of: within the SLA, nothing.
    # ord-13: shipped (picked up 11-05), never delivered: stalled.
    ("stalled_in_transit", "SHP-ord-13"),
    # ord-14: picked up Friday 11-27 15:00 local: 4 to 5 business hours before as_of, nothing.
    # ord-15: the carrier delivered on 11-08, the shop still says shipped.
    ("delivered_not_closed", "ord-15"),
    # ord-16: delivered (11-04) before it was handed over (11-05). Its latest carrier event is
    # then the pick-up, so it also looks stalled.
    ("impossible_timeline", "ord-16"),
    ("stalled_in_transit", "SHP-ord-16"),
    # ord-17: its product p9 is not in the product list: held at capture, nothing else.
    ("unknown_sku", "ord-17:1"),
    # ord-18: no items, so no total: its order row is quarantined at landing
    # (missing_required) and reported as an order whose inputs were quarantined.
    ("order_inputs_quarantined", "ord-18"),
    # ord-19: 80.00 by card plus a 35.00 voucher without a timestamp. The voucher is
    # quarantined at landing, so the order is reported incomplete, and 80.00 of 115.00 is paid.
    ("order_inputs_quarantined", "ord-19"),
    ("paid_amount_mismatch", "ord-19"),
    # ord-20: its only payment has no timestamp: quarantined, reported incomplete, and the
    # order looks unpaid for weeks.
    ("order_inputs_quarantined", "ord-20"),
    ("awaiting_payment_too_long", "ord-20"),
    # ord-21: two units of p1 (limit 11-05 12:00) and one of p2 (limit 11-06 18:00); the
    # ship-by is the earliest line limit, and it was handed over at 11-05 14:00. Paid in two
    # payments summing to its total, delivered on time.
    ("late_shipment", "ord-21"),
    # ord-22: handed over 11-05 14:00, paid (boleto) at 16:00 that day.
    ("impossible_timeline", "ord-22"),
    # ord-23: paid at 09:00, placed at 10:00.
    ("impossible_timeline", "ord-23"),
    # ord-24: cancelled before shipping, captured and refunded in full: nothing.
    # ord-25: unavailable (cancelled), never paid: nothing.
    # ord-26: no customer id: held at capture with its fields invalid.
    ("order_fields_valid", "ord-26"),
}


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory, prefect_server):
    folder = tmp_path_factory.mktemp("marketplace")
    settings = write_settings(
        folder / "settings.yaml",
        source={"kind": "mapped", "mapping": EXAMPLE / "mapping.yaml"},
        carriers={"transportadora": "^TR[0-9]{2}$"},
    )
    runs = []
    for window_start in (FIRST_WINDOW, FIRST_WINDOW + timedelta(hours=1)):
        summary = hourly_reconciliation(window_start=window_start, settings_file=settings)
        con = duckdb.connect(str(folder / "warehouse.duckdb"), read_only=True)
        try:
            found = set(rows(con, "select check_id, entity_id from exceptions.current"))
            batches = rows(con, "select source, rows_in, rows_loaded, rows_rejected from audit.batches order by 1")
            quarantine = rows(con, "select _source, _file, _row_number, reason from raw.quarantine")
        finally:
            con.close()
        runs.append((summary, found, batches, quarantine))
    return runs


def test_the_exceptions_are_exactly_the_cases(two_runs):
    for _, found, _, _ in two_runs:
        assert found == EXPECTED


def test_the_checks_without_inputs_are_not_evaluated(two_runs):
    assert {check.id for check in all_checks()} >= set(NOT_EVALUATED)  # no stale check ids
    for summary, _, _, _ in two_runs:
        assert summary.not_evaluated == NOT_EVALUATED


def test_the_second_hour_lands_nothing_and_nothing_drifts(two_runs):
    (first, found_1, batches_1, quarantine_1), (second, found_2, batches_2, quarantine_2) = two_runs
    assert sum(first.rows_landed.values()) > 0
    assert second.rows_landed == {feed: 0 for feed in first.rows_landed}
    assert batches_2 == batches_1
    assert quarantine_2 == quarantine_1
    assert found_2 == found_1


def test_the_order_without_items_is_quarantined_at_its_input_line(two_runs):
    _, _, batches, quarantine = two_runs[0]
    # ord-18 is data row 18 of olist_orders.csv; its select row carries that position. The
    # payments of ord-19 (a voucher) and ord-20 are data rows 18 and 19 of the payments file.
    payments = str(EXAMPLE / "olist_order_payments.csv")
    assert quarantine == [
        ("mp-orders", str(EXAMPLE / "olist_orders.csv"), 18, "missing_required"),
        ("mp-payments", payments, 18, "missing_required"), ("mp-payments", payments, 19, "missing_required"),
    ]
    # 26 order rows, 27 item rows, 26 payment rows, 4 products, 18 orders handed over (one
    # parcel each, 19 distinct products in them), 18 pick-ups + 15 deliveries.
    assert batches == [
        ("mp-order-lines", 27, 27, 0), ("mp-orders", 26, 25, 1), ("mp-payments", 26, 24, 2),
        ("mp-shipment-lines", 19, 19, 0), ("mp-shipments", 18, 18, 0), ("mp-skus", 4, 4, 0),
        ("mp-tracking", 33, 33, 0),
    ]


def test_the_docs_show_the_mapping_the_test_runs():
    docs = (EXAMPLE.parent.parent / "docs" / "sources.md").read_text()
    assert (EXAMPLE / "mapping.yaml").read_text() in docs, "docs/sources.md no longer shows the marketplace mapping"
    first_rows = "".join((EXAMPLE / "olist_orders.csv").read_text().splitlines(keepends=True)[:4])
    assert first_rows in docs
