"""The demo back office: deterministic bytes, the documented formats, and a ground truth
that an independent plain-Python reading of docs/checks.md reproduces exactly."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import random
import re
import subprocess
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest

from retaguarda.calendar import BusinessCalendar
from simulator import CHECKS, simulate
from simulator.clock import Clock

START = datetime(2026, 11, 20, tzinfo=UTC)  # a Friday holiday, then a weekend
END = datetime(2026, 11, 23, 12, tzinfo=UTC)
CAL = BusinessCalendar()

CSV_COLUMNS = {
    "stock/skus.csv": ["sku", "description", "unit_weight_kg", "reorder_point"],
    "stock/allocations.csv": ["allocation_id", "order_id", "line_no", "sku", "warehouse_id", "quantity",
                              "allocated_at"],
    "stock/stock_snapshots.csv": ["snapshot_at", "warehouse_id", "sku", "on_hand", "allocated"],
    "stock/stock_movements.csv": ["movement_id", "occurred_at", "warehouse_id", "sku", "quantity_delta", "reason",
                                  "order_id"],
    "stock/shipments.csv": ["shipment_id", "order_id", "warehouse_id", "carrier", "tracking_number", "shipped_at",
                            "declared_weight_kg"],
    "stock/shipment_lines.csv": ["shipment_id", "sku", "quantity"],
    "carrier/carrier_invoices.csv": ["invoice_id", "carrier", "tracking_number", "billed_weight_kg",
                                     "charged_amount", "service", "invoiced_at"],
    "ground_truth.csv": ["check_id", "entity_id"],
}
ORDER_KEYS = ["order_id", "channel", "customer_id", "placed_at", "status", "currency", "shipping_amount",
              "discount_amount", "total_amount", "promised_ship_by", "promised_delivery_by", "ship_to",
              "cancelled_at", "updated_at", "lines", "payments"]
LINE_KEYS = ["line_no", "sku", "quantity", "unit_price"]
PAYMENT_KEYS = ["payment_id", "kind", "amount", "currency", "occurred_at"]
EVENT_KEYS = ["carrier", "tracking_number", "event_at", "status", "location"]
STATUSES = {"pending_payment", "paid", "partially_shipped", "shipped", "delivered", "closed", "cancelled",
            "returned"}
FORMATS = {"correios": r"[A-Z]{2}[0-9]{9}BR", "jadlog": r"[0-9]{14}", "loggi": r"LG[0-9]{10}"}
STAMPS = {"placed_at", "updated_at", "cancelled_at", "occurred_at", "allocated_at", "snapshot_at",
          "shipped_at", "event_at", "invoiced_at"}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("world")
    simulate(out, START, END)
    return out


@pytest.fixture(scope="module")
def feeds(world: Path) -> Feeds:
    return load(world)


def tree_hashes(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file()
    }


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def at(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


# --- reading the feeds as the pipeline would ---------------------------------------

@dataclass
class Feeds:
    orders: dict[str, dict]
    skus: dict[str, dict]
    allocations: list[dict]
    snapshots: list[dict]
    movements: list[dict]
    shipments: list[dict]
    shipment_lines: list[dict]
    events: list[dict]
    invoices: list[dict]
    truth: set[tuple[str, str]]


def load(root: Path) -> Feeds:
    orders: dict[str, dict] = {}
    for page in sorted((root / "orders").glob("page-*.json")):
        for o in json.loads(page.read_text(encoding="utf-8"))["orders"]:
            kept = orders.get(o["order_id"])
            if kept is None or at(o["updated_at"]) > at(kept["updated_at"]):
                orders[o["order_id"]] = o
    events = [json.loads(line) for line in (root / "carrier/tracking_events.jsonl").read_text().splitlines()]
    return Feeds(
        orders=orders,
        skus={r["sku"]: r for r in read_csv(root / "stock/skus.csv")},
        allocations=read_csv(root / "stock/allocations.csv"),
        snapshots=read_csv(root / "stock/stock_snapshots.csv"),
        movements=read_csv(root / "stock/stock_movements.csv"),
        shipments=read_csv(root / "stock/shipments.csv"),
        shipment_lines=read_csv(root / "stock/shipment_lines.csv"),
        events=events,
        invoices=read_csv(root / "carrier/carrier_invoices.csv"),
        truth={(r["check_id"], r["entity_id"]) for r in read_csv(root / "ground_truth.csv")},
    )


# --- an independent reading of docs/checks.md --------------------------------------

def evaluate(f: Feeds, as_of: datetime) -> set[tuple[str, str]]:
    """Every exception of docs/checks.md as of `as_of`, in plain Python."""
    return Recheck(f, as_of).run()


def hours(a: datetime, b: datetime) -> float:
    return (b - a).total_seconds() / 3600


class Recheck:
    def __init__(self, f: Feeds, as_of: datetime) -> None:
        self.f, self.as_of = f, as_of
        self.found: set[tuple[str, str]] = set()

    def flag(self, check: str, entity: str) -> None:
        self.found.add((check, entity))

    def run(self) -> set[tuple[str, str]]:
        held = self.order_capture()  # held orders skip every later check
        self.live = {oid: o for oid, o in self.f.orders.items() if oid not in held}
        self.paid_at = self.payment()
        self.allocation()
        self.found |= stock_checks(self.f, self.as_of)
        self.ships = [s for s in self.f.shipments if at(s["shipped_at"]) <= self.as_of and s["order_id"] not in held]
        self.by_order: dict[str, list[dict]] = defaultdict(list)
        for s in self.ships:
            self.by_order[s["order_id"]].append(s)
        self.picking()
        self.delivery(self.handover_and_transit())
        self.billing()
        return self.found

    def order_capture(self) -> set[str]:
        for oid, o in self.f.orders.items():
            amounts = [Decimal(o[k]) for k in ("total_amount", "shipping_amount", "discount_amount")]
            placed = at(o["placed_at"])
            if (o["customer_id"] is None or placed is None or min(amounts) < 0
                    or o["currency"] not in {"BRL", "USD", "EUR"} or placed > self.as_of + timedelta(minutes=5)):
                self.flag("order_fields_valid", oid)
            total, shipping, discount = amounts
            lines = sum(Decimal(li["unit_price"]) * li["quantity"] for li in o["lines"])
            if abs(lines + shipping - discount - total) > Decimal("0.01"):
                self.flag("order_total_mismatch", oid)
            for li in o["lines"]:
                if li["sku"] not in self.f.skus:
                    self.flag("unknown_sku", f"{oid}:{li['line_no']}")
        return {e.split(":")[0] for _, e in self.found}

    def payment(self) -> dict[str, datetime | None]:
        paid_at = {}
        for oid, o in self.live.items():
            pays = [p for p in o["payments"] if at(p["occurred_at"]) <= self.as_of]
            captured = sum(Decimal(p["amount"]) for p in pays if p["kind"] == "capture")
            refunded = sum(Decimal(p["amount"]) for p in pays if p["kind"] == "refund")
            captures = [at(p["occurred_at"]) for p in pays if p["kind"] == "capture"]
            paid_at[oid] = min(captures) if captures else None
            cancelled = o["status"] == "cancelled"
            net_off = abs(captured - refunded - Decimal(o["total_amount"])) > Decimal("0.01")
            if captures and o["status"] not in ("cancelled", "returned") and net_off:
                self.flag("paid_amount_mismatch", oid)
            if not cancelled and not captures and hours(at(o["placed_at"]), self.as_of) > 48:
                self.flag("awaiting_payment_too_long", oid)
            if cancelled and captured - refunded > Decimal("0.01") and hours(at(o["cancelled_at"]), self.as_of) > 24:
                self.flag("cancelled_not_refunded", oid)
        return paid_at

    def allocation(self) -> None:
        first: dict[str, datetime] = {}
        for a in self.f.allocations:
            t = at(a["allocated_at"])
            if t <= self.as_of and t < first.get(a["order_id"], END + timedelta(days=999)):
                first[a["order_id"]] = t
        for oid, o in self.live.items():
            paid = self.paid_at[oid]
            if paid and o["status"] != "cancelled" and CAL.business_hours_between(paid, first.get(oid, self.as_of)) > 4:
                self.flag("not_allocated_in_sla", oid)

    def picking(self) -> None:
        shipped_items: dict[str, Counter] = defaultdict(Counter)
        owner = {s["shipment_id"]: s["order_id"] for s in self.ships}
        for sl in self.f.shipment_lines:
            if sl["shipment_id"] in owner:
                shipped_items[owner[sl["shipment_id"]]][sl["sku"]] += int(sl["quantity"])
        for oid, o in self.live.items():
            fulfilled = o["status"] in ("shipped", "delivered", "closed", "returned")
            promise = at(o["promised_ship_by"])
            if o["status"] != "cancelled" and promise is not None:
                last_ship = max((at(s["shipped_at"]) for s in self.by_order[oid]), default=None)
                if (fulfilled and last_ship > promise) or (not fulfilled and promise < self.as_of):
                    self.flag("late_shipment", oid)
            ordered = Counter()
            for li in o["lines"]:
                ordered[li["sku"]] += li["quantity"]
            if fulfilled and ordered != shipped_items[oid]:
                self.flag("wrong_item_shipped", oid)
            if o["status"] == "cancelled" and self.by_order[oid]:
                self.flag("shipped_cancelled_order", oid)

    def handover_and_transit(self) -> dict[str, datetime | None]:
        """Shipment checks; returns each shipment's delivery time."""
        bh = CAL.business_hours_between
        journeys: dict[tuple[str, str], list[tuple[datetime, str]]] = defaultdict(list)
        for e in self.f.events:
            if at(e["event_at"]) <= self.as_of:
                journeys[(e["carrier"], e["tracking_number"])].append((at(e["event_at"]), e["status"]))
        sharing = Counter(s["tracking_number"] for s in self.f.shipments)
        restocks: dict[str, list[datetime]] = defaultdict(list)
        for m in self.f.movements:
            if m["reason"] == "return" and at(m["occurred_at"]) <= self.as_of:
                restocks[m["order_id"]].append(at(m["occurred_at"]))
        delivered_at = {}
        for s in self.ships:
            sid, shipped = s["shipment_id"], at(s["shipped_at"])
            journey = sorted(journeys.get((s["carrier"], s["tracking_number"]), []))
            well_formed = re.fullmatch(FORMATS[s["carrier"]], s["tracking_number"]) is not None
            scans = [t for t, status in journey if status != "label_created"]
            labelled = any(status == "label_created" for _, status in journey)
            if well_formed and labelled and bh(shipped, scans[0] if scans else self.as_of) > 24:
                self.flag("no_first_scan", sid)
            if not well_formed or (not journey and bh(shipped, self.as_of) > 24):
                self.flag("unknown_tracking_number", sid)
            if sharing[s["tracking_number"]] > 1:
                self.flag("duplicate_tracking_number", s["tracking_number"])
            last_t, last_status = journey[-1] if journey else (None, None)
            if last_status in ("picked_up", "in_transit") and bh(last_t, self.as_of) > 3 * 9:
                self.flag("stalled_in_transit", sid)
            if last_status in ("exception", "failed_attempt"):
                self.flag("carrier_exception_open", sid)
            returned = [t for t, status in journey if status == "returned_to_sender"]
            if (returned and bh(returned[-1], self.as_of) > 48
                    and not any(t >= returned[-1] for t in restocks[s["order_id"]])):
                self.flag("return_not_restocked", sid)
            delivered = [t for t, status in journey if status == "delivered"]
            delivered_at[sid] = delivered[-1] if delivered else None
        return delivered_at

    def delivery(self, delivered_at: dict[str, datetime | None]) -> None:
        for oid, o in self.live.items():
            parcels = self.by_order[oid]
            done = [delivered_at[s["shipment_id"]] for s in parcels]
            if parcels and all(done):
                if max(done) > at(o["promised_delivery_by"]):
                    self.flag("late_delivery", oid)
                if hours(max(done), self.as_of) > 24 and o["status"] not in ("delivered", "closed"):
                    self.flag("delivered_not_closed", oid)
            paid, placed = self.paid_at[oid], at(o["placed_at"])
            first_ship = min((at(s["shipped_at"]) for s in parcels), default=None)
            if (any(d is not None and d < at(s["shipped_at"]) for s, d in zip(parcels, done, strict=True))
                    or (paid and first_ship and first_ship < paid) or (paid and paid < placed)):
                self.flag("impossible_timeline", oid)

    def billing(self) -> None:
        declared: dict[str, list[Decimal]] = defaultdict(list)
        for s in self.f.shipments:
            declared[s["tracking_number"]].append(Decimal(s["declared_weight_kg"]))
        for inv in self.f.invoices:
            if at(inv["invoiced_at"]) > self.as_of:
                continue
            weights = declared.get(inv["tracking_number"])
            if not weights:
                self.flag("charge_without_shipment", inv["invoice_id"])
            elif Decimal(inv["billed_weight_kg"]) > min(weights) * Decimal("1.1"):
                self.flag("billed_weight_mismatch", inv["invoice_id"])


def stock_checks(f: Feeds, as_of: datetime) -> set[tuple[str, str]]:
    found = set()
    snaps: dict[str, list[tuple[datetime, int, int]]] = defaultdict(list)
    for s in f.snapshots:
        if at(s["snapshot_at"]) <= as_of:
            snaps[f"{s['warehouse_id']}:{s['sku']}"].append((at(s["snapshot_at"]), int(s["on_hand"]),
                                                             int(s["allocated"])))
    moves: dict[str, list[tuple[datetime, int]]] = defaultdict(list)
    for m in f.movements:
        moves[f"{m['warehouse_id']}:{m['sku']}"].append((at(m["occurred_at"]), int(m["quantity_delta"])))
    for pos, rows in snaps.items():
        rows.sort()
        latest_at, on_hand, allocated = rows[-1]
        if allocated > on_hand:
            found.add(("oversold", pos))
        elif on_hand - allocated < int(f.skus[pos.split(":")[1]]["reorder_point"]):
            found.add(("stockout_risk", pos))
        if len(rows) >= 2:
            prev_at, prev_on_hand, _ = rows[-2]
            delta = sum(d for t, d in moves[pos] if prev_at < t <= latest_at)
            if prev_on_hand + delta != on_hand:
                found.add(("stock_drift", pos))
    return found


# --- tests -------------------------------------------------------------------------

def test_same_seed_same_bytes_other_seed_other_bytes(world: Path, tmp_path: Path):
    # the CLI, in another process with another hash seed: no set order may leak into the files
    subprocess.run(
        [sys.executable, "-m", "simulator", "--out", str(tmp_path / "again"),
         "--start", "2026-11-20T00:00:00Z", "--end", "2026-11-23T12:00:00Z"],
        check=True, capture_output=True, env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    simulate(tmp_path / "other", START, END, seed=8)
    assert tree_hashes(tmp_path / "again") == tree_hashes(world)
    other = tree_hashes(tmp_path / "other")
    assert all(other.get(name) != digest for name, digest in tree_hashes(world).items())


def test_files_have_the_documented_columns(world: Path):
    for name, columns in CSV_COLUMNS.items():
        with (world / name).open(encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            assert next(reader) == columns, name
            assert all(len(row) == len(columns) for row in reader), name
    for line in (world / "carrier/tracking_events.jsonl").read_text(encoding="utf-8").splitlines():
        assert list(json.loads(line)) == EVENT_KEYS
    pages = sorted((world / "orders").glob("page-*.json"))
    assert len(pages) >= 2
    for n, page in enumerate(pages, start=1):
        body = json.loads(page.read_text(encoding="utf-8"))
        assert body["page"] == n
        assert body["next_page"] == (n + 1 if n < len(pages) else None)
        assert 0 < len(body["orders"]) <= 500
        for o in body["orders"]:
            assert list(o) == ORDER_KEYS
            assert o["status"] in STATUSES
            assert list(o["ship_to"]) == ["country", "region", "postcode"]
            assert all(list(li) == LINE_KEYS for li in o["lines"])
            assert all(list(p) == PAYMENT_KEYS for p in o["payments"])
            assert re.fullmatch(r"-?\d+\.\d\d", o["total_amount"])
    assert {o["status"] for o in load(world).orders.values()} == STATUSES  # every status occurs
    manifest = json.loads((world / "manifest.json").read_text())
    assert manifest["seed"] == 7 and manifest["end"] == "2026-11-23T12:00:00Z"


def test_clean_totals_add_up(feeds: Feeds):
    f = feeds
    capture = {"order_fields_valid", "order_total_mismatch", "unknown_sku"}
    flagged = {e.split(":")[0] for c, e in f.truth if c in capture}
    clean = [o for oid, o in f.orders.items() if oid not in flagged]
    assert len(clean) > 1000
    for o in clean:
        lines = sum(Decimal(li["unit_price"]) * li["quantity"] for li in o["lines"])
        assert lines + Decimal(o["shipping_amount"]) - Decimal(o["discount_amount"]) == Decimal(o["total_amount"])


def test_every_check_is_injected_and_nothing_is_stamped_after_end(world: Path, feeds: Feeds):
    f = feeds
    counts = Counter(check for check, _ in f.truth)
    assert set(counts) == set(CHECKS) and len(CHECKS) == 24
    assert min(counts.values()) >= 2
    stamps: list[str] = []

    def collect(value: object, key: str = "") -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                collect(v, k)
        elif isinstance(value, list):
            for v in value:
                collect(v, key)
        elif key in STAMPS and value is not None:
            stamps.append(value)

    for page in (world / "orders").glob("page-*.json"):
        collect(json.loads(page.read_text(encoding="utf-8")))
    for rows in (f.allocations, f.snapshots, f.movements, f.shipments, f.events, f.invoices):
        collect(rows)
    assert len(stamps) > 10_000
    assert max(at(s) for s in stamps) <= END


def test_some_orders_are_delivered_twice_and_latest_wins(world: Path):
    versions = Counter()
    for page in (world / "orders").glob("page-*.json"):
        versions.update(o["order_id"] for o in json.loads(page.read_text(encoding="utf-8"))["orders"])
    assert sum(1 for n in versions.values() if n == 2) > 50


def test_ground_truth_is_exactly_what_the_checks_find(feeds: Feeds):
    found = evaluate(feeds, END)
    assert sorted(found - feeds.truth)[:10] == [], "clean entities flagged"
    assert sorted(feeds.truth - found)[:10] == [], "injected anomalies not found"


def test_clean_lookalikes_occur(world: Path):
    lookalikes = json.loads((world / "manifest.json").read_text())["counts"]["lookalikes"]
    assert min(lookalikes.values()) >= 3, lookalikes


def test_recheck_can_fail(feeds: Feeds):
    """The re-check is not vacuous: break one clean order and it is caught."""
    flagged = {e.split(":")[0] for _, e in feeds.truth}
    oid = next(oid for oid in sorted(feeds.orders) if oid not in flagged)
    broken = {**feeds.orders[oid], "total_amount": "0.01"}
    mine = [s for s in feeds.shipments if s["order_id"] == oid]
    f = replace(feeds, orders={oid: broken}, shipments=mine, allocations=[], snapshots=[], invoices=[])
    assert ("order_total_mismatch", oid) in evaluate(f, END)
    assert ("order_total_mismatch", oid) not in feeds.truth


def test_duplicates_really_repeat(feeds: Feeds):
    numbers = Counter(s["tracking_number"] for s in feeds.shipments)
    assert {e for c, e in feeds.truth if c == "duplicate_tracking_number"} == {n for n, k in numbers.items() if k > 1}


@pytest.mark.parametrize(("start", "end", "seed"), [
    ("2026-02-12T00:00:00+00:00", "2026-02-14T06:30:00+00:00", 3),  # ends on Carnival Saturday
    ("2026-06-01T00:00:00+00:00", "2026-06-03T20:00:00+00:00", 11),  # a plain Wednesday evening
])
def test_other_windows_are_exact_too(tmp_path: Path, start: str, end: str, seed: int):
    as_of = datetime.fromisoformat(end)
    simulate(tmp_path, datetime.fromisoformat(start), as_of, seed=seed, orders_per_hour=4, anomaly_rate=0.05)
    f = load(tmp_path)
    assert {c for c, _ in f.truth} == set(CHECKS)
    assert evaluate(f, as_of) == f.truth


def test_clock_agrees_with_the_calendar():
    clock = Clock(CAL, date(2026, 11, 1), date(2027, 3, 1))
    rng = random.Random(1)
    for _ in range(300):
        t = int(datetime(2026, 11, 10, tzinfo=UTC).timestamp()) + rng.randrange(60 * 86_400)
        hours = rng.choice([0.5, 1, 4, 16, 24, 27.5, 60])
        as_dt = datetime.fromtimestamp(t, UTC)
        assert clock.add(t, hours) == int(CAL.add_business_hours(as_dt, hours).timestamp())
        later = t + rng.randrange(10 * 86_400)
        assert clock.between(t, later) == pytest.approx(
            CAL.business_hours_between(as_dt, datetime.fromtimestamp(later, UTC)))
