"""What the shop's systems hand over in one hour, as the files of docs/feeds.md.

Every file is named by its hour (`<yyyymmddhh>-...`), holds only what arrived in that
hour, and its bytes are a pure function of the world and the hour: writing an hour again
gives the same file, and landing skips a file it has seen.
"""

from __future__ import annotations

import csv
import io
import json
import random
import time
from collections.abc import Iterable
from pathlib import Path

from .clock import DAY, HOUR
from .model import Order, change_times
from .timeworld import LOOKBACK, Anomaly, TimeWorld, hour_stamp, seen


def ts(t: int | None) -> str | None:
    return None if t is None else time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(t))


def money(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def kg(grams: int) -> str:
    return f"{grams // 1000}.{grams % 1000:03d}"


def _per_sku(lines: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """One line per SKU, as a WMS export lists a shipment (a wrong pick can repeat a SKU)."""
    totals: dict[str, int] = {}
    for sku, quantity in lines:
        totals[sku] = totals.get(sku, 0) + quantity
    return list(totals.items())


RESEND_SHARE = 0.05  # now and then the order API hands the previous hour's page over again

STOCK_FILES = {
    "skus": ["sku", "description", "unit_weight_kg", "reorder_point"],
    "allocations": ["allocation_id", "order_id", "line_no", "sku", "warehouse_id", "quantity", "allocated_at"],
    "stock_snapshots": ["snapshot_at", "warehouse_id", "sku", "on_hand", "allocated"],
    "stock_movements": ["movement_id", "occurred_at", "warehouse_id", "sku", "quantity_delta", "reason",
                        "order_id"],
    "shipments": ["shipment_id", "order_id", "warehouse_id", "carrier", "tracking_number", "shipped_at",
                  "declared_weight_kg"],
    "shipment_lines": ["shipment_id", "sku", "quantity"],
}
INVOICE_COLUMNS = ["invoice_id", "carrier", "tracking_number", "billed_weight_kg", "charged_amount", "service",
                   "invoiced_at"]


def _csv(header: list[str], rows: Iterable[list[object]]) -> str:
    buf = io.StringIO()
    out = csv.writer(buf, lineterminator="\n")
    out.writerow(header)
    out.writerows(rows)
    return buf.getvalue()


def _suffix(order_id: str) -> str:
    return order_id[4:]


def version(o: Order, at: int) -> dict[str, object]:
    """The order as the shop API showed it at instant `at`."""
    from .model import status_at
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
            {"payment_id": f"P-{_suffix(o.order_id)}-{i + 1}", "kind": kind, "amount": money(amount),
             "currency": o.currency, "occurred_at": ts(t)}
            for i, (t, kind, amount) in enumerate(o.payments)
            if t <= at
        ],
    }


def _orders_page(tw: TimeWorld, a: int) -> str:
    z = a + HOUR
    versions = []
    for b in tw.buckets(a - LOOKBACK, z - 1):
        for o in b.orders:
            times = change_times(o, tw.far)
            for k, t in enumerate(times):
                if a <= t < z:
                    versions.append((t, o.order_id, o))
                    if o.echo and k >= 1:  # the API re-delivers the version before, too
                        versions.append((times[k - 1], o.order_id, o))
    versions.sort(key=lambda v: (v[0], v[1]))
    body = ",\n".join(json.dumps(version(o, t), ensure_ascii=False) for t, _, o in versions)
    return f'{{"page": 1, "next_page": null, "orders": [\n{body}\n]}}\n'


def hour_files(tw: TimeWorld, h: int) -> dict[str, str]:
    """Relative path -> text of every file handed over in hour h (an absolute hour index)."""
    a, z = h * HOUR, h * HOUR + HOUR
    stamp = hour_stamp(h)
    files: dict[str, str] = {f"orders/{stamp}-page-0001.json": _orders_page(tw, a)}
    if h > tw.opened // HOUR and random.Random(f"{tw.seed}:resend:{h}").random() < RESEND_SHARE:
        files[f"orders/{stamp}-page-0002.json"] = _orders_page(tw, a - HOUR)  # the same bytes again
    buckets = tw.buckets(a - LOOKBACK, z - 1)
    orders = [o for b in buckets for o in b.orders]
    stock: dict[str, list[list[object]]] = {name: [] for name in STOCK_FILES}
    if h == tw.opened // HOUR or a % DAY == 0:
        stock["skus"] = [[s.sku, s.description, kg(s.weight_g), s.reorder_point] for s in tw.world.skus]
    stock["allocations"] = sorted(
        [f"A-{_suffix(o.order_id)}-{no}", o.order_id, no, sku, o.warehouse, q, ts(o.alloc)]
        for o in orders if o.alloc is not None and a <= o.alloc < z and not o.held
        for no, sku, q, _ in o.lines
    )
    shipped = sorted(((s.shipped, s.shipment_id, o.order_id, s) for o in orders for s in o.ships
                      if a <= s.shipped < z), key=lambda r: (r[0], r[1]))
    stock["shipments"] = [[sid, oid, s.warehouse, s.carrier, s.tracking, ts(t), kg(s.weight_g)]
                          for t, sid, oid, s in shipped]
    stock["shipment_lines"] = [[sid, sku, q] for _, sid, _, s in shipped for sku, q in _per_sku(s.lines)]
    moves = []
    for day in (a // DAY - 1, a // DAY):
        if (day + 1) * DAY <= tw.opened:
            continue
        got = tw.stock_day(day)
        moves += [m for m in got["movements"] if a <= m[6] < z and m[0] >= tw.opened]
        if day == a // DAY:
            stock["stock_snapshots"] = [[ts(t), wh, sku, on_hand, alloc] for t, wh, sku, on_hand, alloc
                                        in got["snapshots"] if a <= t < z and t >= tw.opened]
    moves.sort(key=lambda m: (m[0], m[1], m[2], m[4], m[5], m[3]))
    stock["stock_movements"] = [[f"M-{stamp}-{n:05d}", ts(t), wh, sku, d, reason, oid or None]
                                for n, (t, wh, sku, d, reason, oid, _) in enumerate(moves, start=1)]
    for name, header in STOCK_FILES.items():
        if stock[name]:  # an export with nothing in it is not sent
            files[f"stock/{stamp}-{name}.csv"] = _csv(header, stock[name])
    events, done = [], set()
    for b in buckets:
        for o in b.orders:
            for s in o.ships:
                if (s.carrier, s.tracking) in done:
                    continue
                done.add((s.carrier, s.tracking))
                arrivals = b.arrivals[s.shipment_id]
                events += [(arr, t, s.carrier, s.tracking, status, place)
                           for arr, (t, status, place) in zip(arrivals, s.events, strict=True) if a <= arr < z]
    events.sort()
    if events:
        files[f"carrier/{stamp}-tracking_events.jsonl"] = "".join(
            json.dumps({"carrier": c, "tracking_number": n, "event_at": ts(t), "status": st, "location": p},
                       ensure_ascii=False) + "\n"
            for _, t, c, n, st, p in events
        )
    invoices = sorted((i for b in buckets for i in b.invoices if a <= i.invoiced_at < z),
                      key=lambda i: i.invoice_id)
    if invoices:
        files[f"carrier/{stamp}-carrier_invoices.csv"] = _csv(INVOICE_COLUMNS, (
            [i.invoice_id, i.carrier, i.tracking, kg(i.billed_g), money(i.charged), i.service, ts(i.invoiced_at)]
            for i in invoices))
    return files


def write_hours(tw: TimeWorld, out: Path, first: int, last: int) -> int:
    """Write the hand-over of every hour in [first, last) (instants) not already there; returns hours written."""
    written = 0
    for h in range(max(first, tw.opened) // HOUR, last // HOUR):
        marker = out / "orders" / f"{hour_stamp(h)}-page-0001.json"
        if marker.exists():
            continue
        for rel, text in sorted(hour_files(tw, h).items(), key=lambda kv: kv[0].startswith("orders/")):
            path = out / rel
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(text, encoding="utf-8")
            tmp.replace(path)  # the orders page last: its presence says the hour is complete
        written += 1
    return written


TRUTH_COLUMNS = ["check_id", "entity_id", "visible_at", "fixed_at"]


def truth_rows(tw: TimeWorld, end: int) -> list[Anomaly]:
    """Every anomaly visible by `end`, with when it became visible and, if known by then, fixed."""
    rows = {(a.check, a.entity, a.visible_at, a.fixed_at) for a in tw.anomalies(tw.opened, end)
            if a.visible_at <= end}
    return [Anomaly(*r) for r in sorted(rows)]


def write_truth(tw: TimeWorld, out: Path, end: int) -> int:
    rows = truth_rows(tw, end)
    text = _csv(TRUTH_COLUMNS, ([a.check, a.entity, ts(a.visible_at), ts(a.fixed_at)] for a in rows))
    (out / "ground_truth.csv").write_text(text, encoding="utf-8")
    return len(rows)


__all__ = ["hour_files", "seen", "truth_rows", "write_hours", "write_truth"]
