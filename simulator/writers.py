"""File output in the formats of docs/feeds.md. Only what is stamped at or before `end`
is written, every file is sorted, and ids are numbered in that order, so the same
world always gives the same bytes."""

from __future__ import annotations

import csv
import json
import time
from pathlib import Path

from .billing import Invoice
from .model import Order, change_times, status_at
from .stock import Stock
from .world import World

PAGE_SIZE = 500


def ts(t: int | None) -> str | None:
    return None if t is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def kg(grams: int) -> str:
    return f"{grams // 1000}.{grams % 1000:03d}"


def write_csv(path: Path, header: list[str], rows: list[list[object]]) -> int:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as f:
        out = csv.writer(f, lineterminator="\n")
        out.writerow(header)
        out.writerows(rows)
    return len(rows)


# --- orders ------------------------------------------------------------------------

def payment_ids(orders: list[Order], end: int) -> dict[tuple[str, int], str]:
    keyed = sorted(
        (t, o.order_id, i)
        for o in orders
        for i, (t, _, _) in enumerate(o.payments)
        if t <= end
    )
    return {(oid, i): f"P-{n:07d}" for n, (_, oid, i) in enumerate(keyed, start=1)}


def order_version(o: Order, at: int, pay_ids: dict[tuple[str, int], str]) -> dict[str, object]:
    """The order as the shop API showed it at instant `at`."""
    paid = o.paid is not None and o.paid <= at
    return {
        "order_id": o.order_id,
        "channel": o.channel,
        "customer_id": o.customer_id,
        "placed_at": ts(o.placed),
        "status": status_at(o, at),
        "currency": o.currency,
        "shipping_amount": money(o.shipping),
        "discount_amount": money(o.discount),
        "total_amount": money(o.total),
        "promised_ship_by": ts(o.promise) if paid else None,
        "promised_delivery_by": ts(o.promise_delivery) if paid else None,
        "ship_to": {"country": "BR", "region": o.state, "postcode": o.postcode},
        "cancelled_at": ts(o.cancel) if o.cancel is not None and o.cancel <= at else None,
        "updated_at": ts(at),
        "lines": [
            {"line_no": no, "sku": sku, "quantity": q, "unit_price": money(p)}
            for no, sku, q, p in o.lines
        ],
        "payments": [
            {"payment_id": pay_ids[(o.order_id, i)], "kind": kind, "amount": money(amount),
             "currency": o.currency, "occurred_at": ts(t)}
            for i, (t, kind, amount) in enumerate(o.payments)
            if t <= at
        ],
    }


def write_orders(out: Path, orders: list[Order], end: int) -> tuple[int, int]:
    """Pages of the orders API; an order that changed is sometimes delivered twice."""
    pay_ids = payment_ids(orders, end)
    versions = []
    for o in orders:
        times = change_times(o, end)
        versions.append((times[-1], o.order_id, o))
        if o.echo and len(times) >= 2 and times[-2] >= o.placed:
            versions.append((times[-2], o.order_id, o))
    versions.sort(key=lambda v: (v[0], v[1]))
    folder = out / "orders"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("page-*.json"):  # a smaller world must not leave pages behind
        old.unlink()
    pages = max(1, -(-len(versions) // PAGE_SIZE))
    for p in range(pages):
        chunk = versions[p * PAGE_SIZE:(p + 1) * PAGE_SIZE]
        body = ",\n".join(json.dumps(order_version(o, at, pay_ids), ensure_ascii=False) for at, _, o in chunk)
        head = json.dumps({"page": p + 1, "next_page": p + 2 if p + 1 < pages else None})[:-1]
        text = f'{head}, "orders": [\n{body}\n]}}\n'
        (folder / f"page-{p + 1:04d}.json").write_text(text, encoding="utf-8")
    return pages, len(versions)


# --- stock and shipments -----------------------------------------------------------

def write_stock(out: Path, world: World, orders: list[Order], stock: Stock, end: int) -> dict[str, int]:
    folder = out / "stock"
    counts = {}
    counts["stock/skus.csv"] = write_csv(
        folder / "skus.csv", ["sku", "description", "unit_weight_kg", "reorder_point"],
        [[s.sku, s.description, kg(s.weight_g), s.reorder_point] for s in world.skus],
    )
    allocations = sorted(
        (o.alloc, o.order_id, no, sku, o.warehouse, q)
        for o in orders
        if o.alloc is not None and o.alloc <= end and not o.held
        for no, sku, q, _ in o.lines
    )
    counts["stock/allocations.csv"] = write_csv(
        folder / "allocations.csv",
        ["allocation_id", "order_id", "line_no", "sku", "warehouse_id", "quantity", "allocated_at"],
        [[f"A-{n:07d}", oid, no, sku, wh, q, ts(t)] for n, (t, oid, no, sku, wh, q) in enumerate(allocations, 1)],
    )
    counts["stock/stock_snapshots.csv"] = write_csv(
        folder / "stock_snapshots.csv", ["snapshot_at", "warehouse_id", "sku", "on_hand", "allocated"],
        [[ts(t), wh, sku, on_hand, alloc] for t, wh, sku, on_hand, alloc in sorted(stock.snapshots)],
    )
    movements = sorted(m for m in stock.movements if m[0] <= end)
    counts["stock/stock_movements.csv"] = write_csv(
        folder / "stock_movements.csv",
        ["movement_id", "occurred_at", "warehouse_id", "sku", "quantity_delta", "reason", "order_id"],
        [[f"M-{n:08d}", ts(t), wh, sku, d, reason, oid] for n, (t, wh, sku, d, reason, oid) in enumerate(movements, 1)],
    )
    shipped = sorted(
        ((s.shipped, s.shipment_id, o.order_id, s) for o in orders for s in o.ships if s.shipped <= end),
        key=lambda r: (r[0], r[1]),
    )
    counts["stock/shipments.csv"] = write_csv(
        folder / "shipments.csv",
        ["shipment_id", "order_id", "warehouse_id", "carrier", "tracking_number", "shipped_at", "declared_weight_kg"],
        [[sid, oid, s.warehouse, s.carrier, s.tracking, ts(t), kg(s.weight_g)] for t, sid, oid, s in shipped],
    )
    counts["stock/shipment_lines.csv"] = write_csv(
        folder / "shipment_lines.csv", ["shipment_id", "sku", "quantity"],
        [[sid, sku, q] for _, sid, _, s in shipped for sku, q in _per_sku(s.lines)],
    )
    return counts


def _per_sku(lines: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """One line per SKU, as a WMS export lists a shipment (a wrong pick can repeat a SKU)."""
    totals: dict[str, int] = {}
    for sku, quantity in lines:
        totals[sku] = totals.get(sku, 0) + quantity
    return list(totals.items())


# --- carrier -----------------------------------------------------------------------

def write_carrier(out: Path, orders: list[Order], invoices: list[Invoice]
                  ) -> tuple[dict[str, int], list[tuple[str, str]]]:
    """Tracking events and invoices; returns the ground truth of the invoice anomalies."""
    folder = out / "carrier"
    folder.mkdir(parents=True, exist_ok=True)
    seen = set()
    events = []
    for o in orders:
        for s in o.ships:
            if (s.carrier, s.tracking) in seen:  # a reused label has one journey
                continue
            seen.add((s.carrier, s.tracking))
            events += [(t, s.carrier, s.tracking, i, status, place) for i, (t, status, place) in enumerate(s.events)]
    events.sort()
    with (folder / "tracking_events.jsonl").open("w", encoding="utf-8") as f:
        for t, carrier, number, _, status, place in events:
            f.write(json.dumps({"carrier": carrier, "tracking_number": number, "event_at": ts(t),
                                "status": status, "location": place}, ensure_ascii=False) + "\n")
    rows, truth = [], []
    for n, inv in enumerate(invoices, start=1):
        invoice_id = f"INV-{n:07d}"
        rows.append([invoice_id, inv.carrier, inv.tracking, kg(inv.billed_g), money(inv.charged), inv.service,
                     ts(inv.invoiced_at)])
        if inv.check:
            truth.append((inv.check, invoice_id))
    counts = {
        "carrier/tracking_events.jsonl": len(events),
        "carrier/carrier_invoices.csv": write_csv(
            folder / "carrier_invoices.csv",
            ["invoice_id", "carrier", "tracking_number", "billed_weight_kg", "charged_amount", "service",
             "invoiced_at"],
            rows,
        ),
    }
    return counts, truth


def write_truth(out: Path, truth: list[tuple[str, str]]) -> int:
    return write_csv(out / "ground_truth.csv", ["check_id", "entity_id"], [list(r) for r in sorted(truth)])


def write_manifest(out: Path, manifest: dict[str, object]) -> None:
    text = json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False)
    (out / "manifest.json").write_text(text + "\n", encoding="utf-8")
