"""The demo back office in absolute time.

A world is fixed by its parameters and the instant the shop opened (`opened`). Orders are
drawn per absolute hour bucket, from a generator seeded with (seed, hour), and each order's
whole life (payments, allocation, parcels, carrier events and when each event reaches us,
invoices, anomalies and their later fixes) is decided when the order is drawn. Stock is
rebuilt from the orders of a bounded lookback: a daily receipt at 02:00 UTC brings every
position back to its target level, so on-hand at any instant only needs the day's moves.
Whatever window is asked for, the same seed gives the same rows.

Times are integer UTC epoch seconds, money integer cents.
"""

from __future__ import annotations

import math
import random
import re
import time
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from itertools import count

from retaguarda.calendar import BusinessCalendar

from .anomalies import HOUR_INJECTORS, ORDER_INJECTORS, Injection
from .billing import INVOICE_INJECTORS, Invoice, invoice
from .clock import DAY, HOUR, Clock
from .model import Order, Shipment, finalize
from .orders import draw_order, placement_times
from .stock import STOCK_INJECTORS, StockProblem
from .world import WAREHOUSES, TrackingNumbers, World

LOOKBACK = 30 * DAY  # every order's life, fixes and invoices included, ends within this
RECEIPT_HOUR_UTC = 2
SNAPSHOT_HOUR_UTC = 3


def catalog_checks() -> frozenset[str]:
    """The check ids of the catalog (expectations/): the simulator injects what the pipeline checks."""
    from expectations.catalog import all_checks
    return frozenset(check.id for check in all_checks())


def default_thresholds() -> dict:
    from retaguarda.settings import load_settings
    return load_settings(environ={}).thresholds.model_dump()


def hour_stamp(h: int) -> str:
    return time.strftime("%Y%m%d%H", time.gmtime(h * HOUR))


def past(clock: Clock, t: int, hours: float) -> int:
    """The first instant more than `hours` business hours after t (a check's `> threshold`)."""
    return clock.add(t, hours + 1 / HOUR)


def seen(t: int) -> int:
    """The end of the first hourly window whose hand-over carries something arriving at t."""
    return t - t % HOUR + HOUR


class HourTracking(TrackingNumbers):
    """Carrier numbers drawn from a per-hour range, so any hour can be drawn on its own."""

    CORREIOS_PREFIXES = ("OB", "BB", "QB", "NB", "PB", "LB")

    def __init__(self, h: int) -> None:  # no rng: the hour alone fixes the range
        self.serial = {
            "correios": 10**8 + (h % 10_000) * 10_000,
            "jadlog": 10**13 + (h % 10**8) * 10_000,
            "loggi": 10**9 + (h % 10**5) * 10_000,
        }


@dataclass(frozen=True, slots=True)
class Anomaly:
    check: str
    entity: str
    visible_at: int  # first instant a correct check reports it
    fixed_at: int | None  # first instant it no longer does; None: still open


@dataclass
class Bucket:
    """Everything decided in one placement hour."""

    orders: list[Order]
    invoices: list[Invoice]
    arrivals: dict[str, list[int]]  # shipment id -> arrival instant of each of its events
    anomalies: list[Anomaly] = field(default_factory=list)


class TimeWorld:
    def __init__(self, seed: int, opened: int, orders_per_hour: float = 12, anomaly_rate: float = 0.03,
                 calendar: BusinessCalendar | None = None, thresholds: dict | None = None) -> None:
        if not 0 <= anomaly_rate <= 0.2:
            raise ValueError(f"anomaly_rate must be in [0, 0.2], got {anomaly_rate}")
        if orders_per_hour <= 0:
            raise ValueError("orders_per_hour must be > 0")
        self.seed, self.rate, self.per_hour = seed, anomaly_rate, orders_per_hour
        self.opened = opened - opened % HOUR
        self.calendar = calendar or BusinessCalendar()
        self.clock = _clock(self.calendar)
        self.far = self.clock.midnights[-1] - 200 * DAY
        self.world = World(random.Random(seed), orders_per_hour * 24 * 30)
        self.th = thresholds if thresholds is not None else default_thresholds()
        self.checks = catalog_checks()
        if "split_parcel_window_hours" in self.th:
            self.world.split_gap_bh = self.th["split_parcel_window_hours"] + 1
        self.day_hours = self.calendar.close_hour - self.calendar.open_hour
        self.targets = self._targets()
        self._buckets: dict[int, Bucket] = {}
        self._days: dict[int, dict] = {}

    # --- orders ----------------------------------------------------------------------

    def bucket(self, h: int) -> Bucket:
        b = self._buckets.get(h)
        if b is None:
            b = self._buckets[h] = self._draw(h)
        return b

    def buckets(self, first: int, last: int) -> list[Bucket]:
        """Buckets of the orders placed in [first, last] (instants), never before the opening."""
        lo = max(first, self.opened) // HOUR
        return [self.bucket(h) for h in range(lo, last // HOUR + 1)]

    def _draw(self, h: int) -> Bucket:
        rng = random.Random(f"{self.seed}:orders:{h}")
        self.world.tracking = HourTracking(h)  # type: ignore[assignment]
        stamp = hour_stamp(h)
        ship_ids = count(1)
        orders = []
        for i, placed in enumerate(placement_times(rng, self.clock, h * HOUR, h * HOUR + HOUR - 1,
                                                    self.per_hour), start=1):
            o = draw_order(rng, self.world, self.clock, i, placed, ship_ids, self.far)
            o.order_id = f"ORD-{stamp}-{i:03d}"
            for s in o.ships:
                s.shipment_id = f"S-{stamp}-{s.shipment_id[2:].lstrip('0')}"
            orders.append(o)
        injected = self._inject(h, orders)
        for o in orders:
            finalize(o, self.far)
        arrivals = {s.shipment_id: _arrivals(self.seed, s) for o in orders for s in o.ships}
        invoices, billed = self._bill(h, orders)
        b = Bucket(orders, invoices, arrivals)
        b.anomalies = self._truth(b, injected, billed)
        return b

    def _inject(self, h: int, orders: list[Order]) -> list[tuple[str, list[str], Order]]:
        out: list[tuple[str, list[str], Order]] = []
        if self.rate <= 0:
            return out
        rng = random.Random(f"{self.seed}:anomalies:{h}")
        c = Injection(self.clock, self.world, self.far, rng, self.rate, thresholds=self.th)
        for check, inject_hour in HOUR_INJECTORS.items():
            if check in self.checks:
                out += [(check, entities, o) for entities, o in inject_hour(c, orders)]
        order_checks = [(k, f) for k, f in ORDER_INJECTORS.items() if k in self.checks]
        for o in orders:
            if o.anomaly:
                continue
            for check, inject in order_checks:
                if rng.random() < self.rate:
                    entities = inject(c, o)
                    if entities is not None:
                        o.anomaly = check
                        _fix(self, rng, check, o)
                        out.append((check, entities, o))
                        break
        return out

    def _bill(self, h: int, orders: list[Order]) -> tuple[list[Invoice], set[str]]:
        rng = random.Random(f"{self.seed}:billing:{h}")
        lightest: dict[str, int] = {}
        for o in orders:
            for s in o.ships:
                if s.shared:
                    lightest[s.tracking] = min(s.weight_g, lightest.get(s.tracking, s.weight_g))
        invoices, mismatched = [], set()
        for o in orders:
            for s in o.ships:
                factor = rng.uniform(0.97, 1.07)  # scales disagree a little, within tolerance
                delivered = s.last("delivered")
                if delivered is None or (s.shared and s.tracking not in lightest):
                    continue
                declared = lightest.pop(s.tracking, s.weight_g)
                mismatch = s.billed_factor > 1.1
                billed = round(declared * (s.billed_factor if mismatch else factor))
                inv = invoice(delivered + s.invoice_delay, s.carrier, s.tracking, billed, declared,
                               "billed_weight_mismatch" if mismatch else None)
                invoices.append(inv)
                if mismatch:
                    mismatched.add(inv.invoice_id)
        for check, inject in INVOICE_INJECTORS.items():
            if check in self.checks and self.rate > 0 and rng.random() < self.rate * self.per_hour / 2:
                invoices.append(inject(rng, self.world, h * HOUR))
        return invoices, mismatched

    # --- truth -----------------------------------------------------------------------

    def _truth(self, b: Bucket, injected: list[tuple[str, list[str], Order]], billed: set[str]) -> list[Anomaly]:
        out: list[Anomaly] = []
        clock, th = self.clock, self.th
        for check, entities, o in injected:
            s = o.ships[0] if o.ships else None
            arr = b.arrivals.get(s.shipment_id, []) if s else []
            vis, fix = None, None
            if check in ("order_fields_valid", "order_total_mismatch", "unknown_sku"):
                vis = seen(o.placed)
            elif check in ("paid_amount_mismatch", "impossible_timeline"):
                vis = seen(max([o.placed] + [t for t, k, _ in o.payments if k == "capture"]))
            elif check == "awaiting_payment_too_long":
                vis = o.placed + th["payment_sla_hours"] * HOUR + 1
                fix = seen(o.cancel) if o.cancel is not None else None
            elif check == "cancelled_not_refunded":
                assert o.cancel is not None
                vis = max(seen(o.cancel), o.cancel + th["refund_grace_hours"] * HOUR + 1)
                refunds = [t for t, k, _ in o.payments if k == "refund"]
                fix = seen(refunds[0]) if refunds else None
            elif check == "not_allocated_in_sla":
                vis = max(seen(o.paid), past(clock, o.paid, th["allocation_sla_business_hours"]))
            elif check == "late_shipment":
                vis = max(seen(o.paid), o.promise + 1)
            elif check == "wrong_item_shipped":
                vis = seen(s.shipped)
            elif check == "shipped_cancelled_order":
                vis = seen(o.cancel)
            elif check == "duplicate_tracking_number":
                vis = seen(max(x.shipped for x in _sharing(b, entities[0])))
            elif check == "no_first_scan":
                vis = max(seen(arr[0]), past(clock, s.shipped, th["first_scan_sla_business_hours"]))
            elif check == "unknown_tracking_number":
                well = not s.events and _well_formed(s)
                vis = past(clock, s.shipped, th["first_scan_sla_business_hours"]) if well else seen(s.shipped)
            elif check == "return_not_restocked":
                back = s.last("returned_to_sender")
                vis = max(seen(arr[-1]), past(clock, back, th["restock_sla_business_hours"]))
                fix = seen(s.restock) if s.restock is not None else None
            elif check == "delivered_not_closed":
                d = s.last("delivered")
                vis = max(seen(arr[-1]), d + th["close_grace_hours"] * HOUR + 1)
            elif check == "split_shipment_overcharge":
                tracks = {x.tracking for x in o.ships}
                vis = seen(max(i.invoiced_at for i in b.invoices if i.tracking in tracks))
            elif check in ("stalled_in_transit", "carrier_exception_open", "late_delivery",
                           "billed_weight_mismatch"):
                continue  # worked out below from every parcel's timeline
            if vis is None:
                raise AssertionError(f"no visibility rule for {check}")
            out += [Anomaly(check, e, vis, fix) for e in entities if fix is None or fix > vis]
        for o in b.orders:
            out += self._tracking_truth(b, o)
        out += [Anomaly(i.check, i.invoice_id, seen(i.invoiced_at), None) for i in b.invoices if i.check]
        return out

    def _tracking_truth(self, b: Bucket, o: Order) -> list[Anomaly]:
        """carrier_exception_open, stalled_in_transit and late_delivery from what has arrived when."""
        out = []
        limit = self.th["stalled_business_days"] * self.day_hours
        for s in o.ships:
            arr = b.arrivals[s.shipment_id]
            if not s.events:
                continue
            order = sorted(range(len(s.events)), key=lambda i: (arr[i], i))
            best = -1
            spans: dict[str, list[tuple[int, int | None]]] = {"carrier_exception_open": [],
                                                              "stalled_in_transit": []}
            for k, i in enumerate(order):
                best = max(best, i)
                t0 = seen(arr[i])
                t1 = seen(arr[order[k + 1]]) if k + 1 < len(order) else None
                if t1 is not None and t1 <= t0:
                    continue
                at, status, _ = s.events[best]
                if status in ("exception", "failed_attempt"):
                    spans["carrier_exception_open"].append((t0, t1))
                elif status in ("picked_up", "in_transit"):
                    cross = max(t0, past(self.clock, at, limit))
                    if t1 is None or cross < t1:
                        spans["stalled_in_transit"].append((cross, t1))
            for check, intervals in spans.items():
                out += [Anomaly(check, s.shipment_id, a, z) for a, z in _merge(intervals)]
        if o.ships and o.promise_delivery is not None:
            delivered = [s.last("delivered") for s in o.ships]
            if all(d is not None for d in delivered) and max(delivered) > o.promise_delivery:
                last = max(b.arrivals[s.shipment_id][s.events.index(
                    next(e for e in reversed(s.events) if e[1] == "delivered"))] for s in o.ships)
                out.append(Anomaly("late_delivery", o.order_id, seen(last), None))
        return out

    def anomalies(self, first: int, last: int) -> list[Anomaly]:
        """Anomalies of the orders placed up to `last`, and the stock ones of days up to it."""
        out = [a for b in self.buckets(first - LOOKBACK, last) for a in b.anomalies]
        for day in range(max(first - LOOKBACK, self.opened) // DAY, last // DAY + 1):
            out += self.stock_day(day)["truth"]
        return out

    # --- stock -----------------------------------------------------------------------

    def _targets(self) -> dict[tuple[str, str], int]:
        weights = [b - a for a, b in zip([0.0, *self.world.sku_cum], self.world.sku_cum, strict=False)]
        share = {wh: 0.0 for wh in WAREHOUSES}
        total = sum(s.weight for s in self.world.states)
        for st in self.world.states:
            share[st.warehouse] += st.weight / total
        out = {}
        for sku, w in zip(self.world.skus, weights, strict=True):
            for wh in WAREHOUSES:
                daily = self.per_hour * 24 * 2.5 * 1.3 * min(1.0, 2.5 * w / self.world.sku_cum[-1]) * share[wh]
                out[(wh, sku.sku)] = sku.reorder_point + 30 + math.ceil(6 * daily)
        return out

    def order_moves(self, first: int, last: int) -> list[tuple[int, str, str, int, int, str, str]]:
        """(at, warehouse, sku, on_hand delta, allocated delta, reason, order_id) in [first, last)."""
        out = []
        for b in self.buckets(first - LOOKBACK, last):
            for o in b.orders:
                out += [m for m in _order_moves(o) if first <= m[0] < last]
        return out

    def stock_day(self, day: int) -> dict:
        """The stock of the UTC day `day`: receipt at 02:00, snapshot at 03:00, the day's other moves."""
        got = self._days.get(day)
        if got is not None:
            return got
        receipt = day * DAY + RECEIPT_HOUR_UTC * HOUR
        snap = day * DAY + SNAPSHOT_HOUR_UTC * HOUR
        nxt = receipt + DAY
        moves = self.order_moves(receipt - DAY, nxt)
        rng = random.Random(f"{self.seed}:stock:{day}")
        positions = sorted(self.targets)
        counts = []  # booked count corrections in working hours: normal noise
        d_local = self.clock.day(receipt + 12 * HOUR)
        if self.clock.is_working(d_local):
            for _ in range(3):
                t = self.clock.at(d_local, rng.uniform(10, 17))
                wh, sku = positions[rng.randrange(len(positions))]
                counts.append((t, wh, sku, rng.choice([-2, -1, 1, 2]), 0, "adjustment", ""))
        booked = [m for m in moves if m[5]] + counts
        alloc: dict[tuple[str, str], int] = {}
        for b in self.buckets(snap - LOOKBACK, snap):
            for o in b.orders:
                for m in _order_moves(o):
                    if m[0] <= snap and m[4]:
                        alloc[(m[1], m[2])] = alloc.get((m[1], m[2]), 0) + m[4]
        before = dict.fromkeys(positions, 0)  # on-hand delta since the receipt, at the snapshot
        for m in booked:
            if receipt < m[0] <= snap:
                before[(m[1], m[2])] += m[3]
        problems: dict[tuple[str, str], StockProblem] = {}
        truth: list[Anomaly] = []
        checks = [c for c in STOCK_INJECTORS if c in self.checks]
        if self.opened <= receipt - DAY and self.rate > 0 and checks:
            for pos in positions:
                if rng.random() >= self.rate / len(checks):
                    continue
                check = checks[rng.randrange(len(checks))]
                reorder = self.world.sku[pos[1]].reorder_point
                got = STOCK_INJECTORS[check](rng, self.targets[pos] + before[pos], alloc.get(pos, 0), reorder,
                                             receipt, snap)
                if got is not None:
                    problems[pos] = got
                    truth += [Anomaly(check, f"{pos[0]}:{pos[1]}", v, f) for v, f in got.truth]
        physical = {p: self.targets[p] + before[p] + (problems[p].physical if p in problems else 0)
                    for p in positions}
        snapshots = [(snap, p[0], p[1], physical[p], alloc.get(p, 0)) for p in positions]
        for t, wh, sku, on_hand, allocated in snapshots:
            reorder = self.world.sku[sku].reorder_point
            check = "oversold" if allocated > on_hand else (
                "stockout_risk" if on_hand - allocated < reorder else None)
            if check in self.checks:
                truth.append(Anomaly(check, f"{wh}:{sku}", seen(t), seen(t + DAY)))
        # tomorrow's receipt tops every position back up to its target
        net = {p: problems[p].physical if p in problems else 0 for p in positions}
        for m in booked:
            if receipt < m[0] <= nxt:
                net[(m[1], m[2])] += m[3]
        receipts = [(nxt, p[0], p[1], -d, "receipt" if d < 0 else "adjustment", "", nxt)
                    for p, d in sorted(net.items()) if d]
        # (occurred_at, warehouse, sku, delta, reason, order_id, arrives_at)
        movements = [(m[0], m[1], m[2], m[3], m[5], m[6], m[0]) for m in booked]
        movements += [(t, p[0], p[1], d, "adjustment", "", arrives) for p, got in sorted(problems.items())
                      for t, d, arrives in got.booked]
        movements += receipts
        got = {"snapshots": snapshots, "movements": movements, "truth": truth}
        self._days[day] = got
        if len(self._days) > 64:
            self._days.pop(next(iter(self._days)))
        return got


def _fix(tw: TimeWorld, rng: random.Random, check: str, o: Order) -> None:
    """Half of the slow-burning problems get fixed in the world some days later."""
    if rng.random() >= 0.5:
        return
    if check == "awaiting_payment_too_long":
        o.cancel = o.placed + rng.randint(60 * HOUR, 100 * HOUR)  # the shop finally gives up on it
        o.kind = "cancel_unpaid"
    elif check == "cancelled_not_refunded" and o.cancel is not None:
        o.payments.append((o.cancel + rng.randint(40 * HOUR, 90 * HOUR), "refund", o.total))
    elif check == "return_not_restocked":
        s = o.ships[0]
        back = s.last("returned_to_sender")
        if back is not None:
            s.restock = tw.clock.add(back, rng.uniform(55, 80))


def _sharing(b: Bucket, tracking: str) -> list[Shipment]:
    return [s for o in b.orders for s in o.ships if s.tracking == tracking]


def _well_formed(s: Shipment) -> bool:
    pattern = {"correios": r"[A-Z]{2}[0-9]{9}BR", "jadlog": r"[0-9]{14}", "loggi": r"LG[0-9]{10}"}[s.carrier]
    return re.fullmatch(pattern, s.tracking) is not None


def _arrivals(seed: int, s: Shipment) -> list[int]:
    """When each carrier event reaches us: mostly minutes later, some hours, a few a day late."""
    rng = random.Random(f"{seed}:arrivals:{s.tracking}")
    out = []
    for t, status, _ in s.events:
        r = rng.random()
        if r < 0.85 or status == "label_created":
            delay = rng.randint(60, 15 * 60)
        elif r < 0.97:
            delay = rng.randint(HOUR, 5 * HOUR)
        else:
            delay = rng.randint(10 * HOUR, 20 * HOUR)
        out.append(t + delay)
    return out


def _merge(spans: list[tuple[int, int | None]]) -> list[tuple[int, int | None]]:
    out: list[tuple[int, int | None]] = []
    for a, z in sorted(spans, key=lambda x: x[0]):
        if out and out[-1][1] is not None and out[-1][1] >= a:
            prev = out[-1]
            out[-1] = (prev[0], None if z is None else max(prev[1], z))  # type: ignore[type-var]
        elif out and out[-1][1] is None:
            continue
        else:
            out.append((a, z))
    return out


def _order_moves(o: Order) -> list[tuple[int, str, str, int, int, str, str]]:
    """(at, warehouse, sku, on_hand delta, allocated delta, reason, order_id) of one order."""
    if o.held or o.alloc is None:
        return []
    wh, oid, out = o.warehouse, o.order_id, []
    for _, sku, qty, _ in o.lines:
        out.append((o.alloc, wh, sku, 0, qty, "", oid))
    if o.kind == "cancel_paid" and o.cancel is not None:
        out += [(o.cancel, wh, sku, 0, -qty, "", oid) for _, sku, qty, _ in o.lines]
    for s in o.ships:
        if s.ordered == s.lines:
            out += [(s.shipped, wh, sku, -qty, -qty, "pick", oid) for sku, qty in s.lines]
        else:
            out += [(s.shipped, wh, sku, 0, -qty, "", oid) for sku, qty in s.ordered]
            out += [(s.shipped, wh, sku, -qty, 0, "pick", oid) for sku, qty in s.lines]
        if s.restock is not None:
            out += [(s.restock, wh, sku, qty, 0, "return", oid) for sku, qty in s.lines]
    return out


@lru_cache(maxsize=4)
def _clock(calendar: BusinessCalendar) -> Clock:
    return Clock(calendar, date(2015, 1, 1), date(2035, 12, 31))  # old exports replay too (2018...)
