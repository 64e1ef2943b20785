"""`simulate`: build the demo back office for a window and write its feeds."""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime, timedelta
from itertools import count, pairwise
from pathlib import Path

from retaguarda.calendar import BusinessCalendar

from .anomalies import Injection, inject_orders
from .billing import Invoice, bill
from .clock import Clock
from .model import Order, finalize
from .orders import draw_order, placement_times
from .stock import simulate_stock
from .world import World
from .writers import write_carrier, write_manifest, write_orders, write_stock, write_truth

CHECKS = (
    "order_fields_valid", "order_total_mismatch", "unknown_sku",
    "paid_amount_mismatch", "awaiting_payment_too_long", "cancelled_not_refunded",
    "not_allocated_in_sla", "oversold", "stock_drift", "stockout_risk",
    "late_shipment", "wrong_item_shipped", "shipped_cancelled_order",
    "no_first_scan", "unknown_tracking_number", "duplicate_tracking_number",
    "stalled_in_transit", "carrier_exception_open",
    "late_delivery", "delivered_not_closed", "impossible_timeline",
    "return_not_restocked",
    "billed_weight_mismatch", "charge_without_shipment",
)

# The shop was trading before the window: without that past, nothing in a short window
# is old enough for the slow checks (a late delivery needs ~10 days, a stalled parcel 5
# working days of silence).
HISTORY_DAYS = 14.0


def simulate(
    out_dir: Path,
    start: datetime,
    end: datetime,
    seed: int = 7,
    orders_per_hour: float = 12,
    anomaly_rate: float = 0.03,
    history_days: float = HISTORY_DAYS,
    calendar: BusinessCalendar | None = None,
) -> dict[str, object]:
    """Write the feeds of a world whose orders are placed in [start - history_days, end]."""
    for name, value in (("start", start), ("end", end)):
        if value.tzinfo is None:
            raise ValueError(f"{name} must be timezone-aware, got {value!r}")
    if end <= start:
        raise ValueError(f"end {end} must be after start {start}")
    if not 0 <= anomaly_rate <= 0.2:  # per check: 24 checks at 0.2 already spoil most orders
        raise ValueError(f"anomaly_rate must be in [0, 0.2], got {anomaly_rate}")
    if orders_per_hour <= 0 or history_days < 0:
        raise ValueError("orders_per_hour must be > 0 and history_days >= 0")
    out_dir = Path(out_dir)
    calendar = calendar or BusinessCalendar()
    opened = start - timedelta(days=history_days)
    first, last = int(opened.timestamp()), int(end.timestamp())
    # promises and carrier journeys run past `end`: keep the clock well beyond it
    clock = Clock(calendar, opened.astimezone(UTC).date() - timedelta(days=2),
                  end.astimezone(UTC).date() + timedelta(days=120))

    rng = random.Random(seed)
    world = World(rng, orders_per_hour * (last - first) / 3600)
    ship_ids = count(1)
    orders = [
        draw_order(rng, world, clock, n, placed, ship_ids, last)
        for n, placed in enumerate(placement_times(rng, clock, first, last, orders_per_hour), start=1)
    ]
    injection = Injection(clock, world, last, random.Random(seed * 1_000_003 + 1), anomaly_rate)
    inject_orders(injection, orders)
    for o in orders:
        finalize(o, last)
    stock = simulate_stock(random.Random(seed * 1_000_003 + 2), clock, world, orders, first, last, anomaly_rate)
    invoices = bill(random.Random(seed * 1_000_003 + 3), world, orders, first, last, anomaly_rate)

    files: dict[str, int] = {}
    pages, versions = write_orders(out_dir, orders, last)
    files["orders/page-*.json"] = pages
    files.update(write_stock(out_dir, world, orders, stock, last))
    carrier_files, invoice_truth = write_carrier(out_dir, orders, invoices)
    files.update(carrier_files)
    truth = injection.truth + stock.truth + invoice_truth
    files["ground_truth.csv"] = write_truth(out_dir, truth)
    per_check = Counter(check for check, _ in truth)
    anomalies = {check: per_check[check] for check in CHECKS}
    summary: dict[str, object] = {
        "orders": len(orders),
        "order_versions": versions,
        "order_lines": sum(len(o.lines) for o in orders),
        "files": files,
        "anomalies": anomalies,
        "lookalikes": lookalikes(clock, orders, invoices, last),
    }
    write_manifest(out_dir, {
        "seed": seed,
        "start": _iso(start),
        "end": _iso(end),
        "history_start": _iso(opened),
        "orders_per_hour": orders_per_hour,
        "anomaly_rate": anomaly_rate,
        "counts": summary,
    })
    return summary


def lookalikes(clock: Clock, orders: list[Order], invoices: list[Invoice], end: int) -> dict[str, int]:
    """Clean situations that sit near a check's threshold without crossing it."""
    n = dict.fromkeys((
        "shipped_on_time", "partial_shipments_complete", "first_scan_after_weekend",
        "quiet_weekend_in_transit", "failed_attempt_then_delivered", "cancelled_and_refunded",
        "returned_and_restocked", "billed_above_declared_within_tolerance",
    ), 0)
    for o in orders:
        if o.anomaly:
            continue
        shipped = [s for s in o.ships if s.shipped <= end]
        if o.kind == "normal" and shipped and len(shipped) == len(o.ships):
            n["shipped_on_time"] += 1
            n["partial_shipments_complete"] += len(shipped) > 1
        if o.kind == "cancel_paid" and any(k == "refund" and t <= end for t, k, _ in o.payments):
            n["cancelled_and_refunded"] += 1
        for s in shipped:
            scans = [t for t, status, _ in s.events if status != "label_created"]
            n["first_scan_after_weekend"] += bool(scans) and _quiet_days(clock, s.shipped, scans[0])
            moving = [t for t, status, _ in s.events if status in ("picked_up", "in_transit")]
            after = [t for t, _, _ in s.events]
            n["quiet_weekend_in_transit"] += any(
                _quiet_days(clock, t, nxt) for t, nxt in pairwise(after) if t in moving
            )
            n["failed_attempt_then_delivered"] += s.fail and s.last("delivered") is not None
            n["returned_and_restocked"] += s.restock is not None and s.restock <= end
    for inv in invoices:
        if inv.check is None and inv.declared_g is not None and inv.billed_g > inv.declared_g:
            n["billed_above_declared_within_tolerance"] += 1
    return n


def _quiet_days(clock: Clock, a: int, b: int) -> bool:
    """Whether a non-working day lies between the days of a and b."""
    return any(not clock.is_working(d) for d in range(clock.day(a) + 1, clock.day(b)))


def _iso(t: datetime) -> str:
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
