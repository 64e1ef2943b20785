"""Anomaly injection on orders and shipments.

Each injector turns one clean order into an instance of exactly one check, as of `end`,
or declines when the order cannot carry it cleanly (too recent, wrong shape). It returns
the entity ids to record in the ground truth. Margins are wide on purpose: a late parcel
is a day late, a stalled one silent for 5 working days, so a reasonable reading of
docs/checks.md flags it, and every clean order stays well inside the thresholds.

Stock positions (oversold, stock_drift, stockout_risk) are injected in stock.py and
invoices (billed_weight_mismatch, charge_without_shipment) in billing.py.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from itertools import pairwise

from .clock import DAY, HOUR, Clock
from .model import Order, Shipment
from .orders import ARRIVE_MARGIN
from .tracking import clean_events, refused_events, slow_events
from .world import World


@dataclass
class Injection:
    clock: Clock
    world: World
    end: int
    rng: random.Random
    rate: float
    truth: list[tuple[str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    thresholds: dict = field(default_factory=dict)

    def record(self, check: str, entities: list[str]) -> None:
        self.counts[check] = self.counts.get(check, 0) + 1
        self.truth += [(check, e) for e in entities]


Injector = Callable[[Injection, Order], "list[str] | None"]


def _single(o: Order) -> Shipment | None:
    """The parcel of a plain one-parcel order that went out, or None."""
    if o.kind != "normal" or o.anomaly or len(o.ships) != 1:
        return None
    s = o.ships[0]
    if s.fail or s.ret or s.shared or not s.events:
        return None
    return s


def _hold(o: Order) -> None:
    """Order-capture exceptions stop the order: it stays paid (or pending), nothing ships."""
    o.held = True
    o.ships = []
    o.alloc = None
    o.payments = [(t, k, o.total) for t, k, _ in o.payments if k == "capture"]


def _capturable(c: Injection, o: Order) -> bool:
    return o.kind == "normal" and o.placed <= c.end


# --- order capture -----------------------------------------------------------------

def order_fields_valid(c: Injection, o: Order) -> list[str] | None:
    if not _capturable(c, o):
        return None
    variant = c.rng.randrange(3)
    if variant == 0:
        o.customer_id = None
    elif variant == 1:
        o.currency = c.rng.choice(["ARS", "CLP", "MXN"])
    else:  # a coupon keyed in with the wrong sign; the total still adds up
        o.discount = -max(o.discount, 500)
        o.total = o.subtotal + o.shipping - o.discount
    _hold(o)
    return [o.order_id]


def order_total_mismatch(c: Injection, o: Order) -> list[str] | None:
    if not _capturable(c, o):
        return None
    if o.discount > 0 and c.rng.random() < 0.5:  # the discount never reached the total
        o.total = o.subtotal + o.shipping
    else:
        o.total += c.rng.choice([-1, 1]) * c.rng.randint(50, min(2000, o.total - 1))
    _hold(o)
    return [o.order_id]


def unknown_sku(c: Injection, o: Order) -> list[str] | None:
    if not _capturable(c, o):
        return None
    i = c.rng.randrange(len(o.lines))
    no, _, qty, price = o.lines[i]
    o.lines[i] = (no, f"SKU-{c.rng.randint(900, 999):04d}", qty, price)  # a retired SKU
    _hold(o)
    return [f"{o.order_id}:{no}"]


# --- payment -----------------------------------------------------------------------

def paid_amount_mismatch(c: Injection, o: Order) -> list[str] | None:
    if o.kind != "normal" or o.paid is None or o.paid > c.end - HOUR or o.total < 200:
        return None
    if any(s.ret for s in o.ships):  # a returned order is not checked
        return None
    if c.rng.random() < 0.5:  # partial capture
        o.payments[0] = (o.paid, "capture", o.total - c.rng.randint(100, min(5000, o.total - 1)))
    else:  # the gateway charged twice
        o.payments.insert(1, (o.paid + c.rng.randint(60, 600), "capture", o.total))
    return [o.order_id]


def awaiting_payment_too_long(c: Injection, o: Order) -> list[str] | None:
    if o.kind not in ("normal", "cancel_unpaid") or o.placed > c.end - 52 * HOUR:
        return None
    o.kind = "unpaid"
    o.paid = o.cancel = o.alloc = o.promise = o.promise_delivery = None
    o.payments = []
    o.ships = []
    return [o.order_id]


def cancelled_not_refunded(c: Injection, o: Order) -> list[str] | None:
    if o.kind != "normal" or o.paid is None or o.paid > c.end - 36 * HOUR:
        return None
    o.kind = "cancel_paid"
    o.cancel = o.paid + c.rng.randint(12 * 60, 72 * 60)  # before the first parcel
    if o.alloc is not None and o.alloc >= o.cancel:
        o.alloc = None
    o.ships = []
    o.payments = o.payments[:1]  # the capture; no refund, not even a planned one
    return [o.order_id]


# --- allocation, picking and packing -----------------------------------------------

def _reship(c: Injection, o: Order, s: Shipment, shipped: int) -> bool:
    """Move the parcel's ship time; declines if the delivery promise would then be missed."""
    assert o.promise_delivery is not None
    deadline = o.promise_delivery - ARRIVE_MARGIN
    events: list = []
    if shipped <= c.end:
        moved = replace(s, shipped=shipped)
        events = clean_events(c.clock, c.world, moved, deadline)
        if events[1][0] > deadline:  # picked up after a long holiday: it would arrive late too
            return False
    s.shipped = shipped
    s.events = events
    return True


def not_allocated_in_sla(c: Injection, o: Order) -> list[str] | None:
    s = _single(o)
    if s is None or o.paid is None or c.clock.between(o.paid, c.end) < 10:
        return None
    alloc = c.clock.add(o.paid, c.rng.uniform(6, 9))
    # still out of the door inside the 16-hour promise
    if not _reship(c, o, s, c.clock.add(alloc, c.rng.uniform(0.5, 3))):
        return None
    o.alloc = alloc
    return [o.order_id]


def late_shipment(c: Injection, o: Order) -> list[str] | None:
    s = _single(o)
    if s is None or o.promise is None or o.promise_delivery is None:
        return None
    if c.clock.between(o.promise, c.end) < 8:
        return None
    shipped = c.clock.add(o.promise, c.rng.uniform(8, 10))  # a working day late
    if not _reship(c, o, s, shipped):
        return None
    return [o.order_id]


def wrong_item_shipped(c: Injection, o: Order) -> list[str] | None:
    s = _single(o)
    if s is None or s.shipped > c.end:
        return None
    i = c.rng.randrange(len(s.lines))
    sku, qty = s.lines[i]
    if c.rng.random() < 0.5:
        new = (c.world.neighbour(sku), qty)
    else:
        new = (sku, qty + 1 if qty == 1 else qty - 1)
    s.lines[i] = new
    # the parcel is weighed as packed, so the declared weight follows the contents
    s.weight_g += c.world.sku[new[0]].weight_g * new[1] - c.world.sku[sku].weight_g * qty
    return [o.order_id]


def shipped_cancelled_order(c: Injection, o: Order) -> list[str] | None:
    """Cancelled just after the parcel left: the customer refuses it and it comes back."""
    s = _single(o)
    if s is None:
        return None
    o.kind = "cancel_shipped"
    o.cancel = s.shipped + c.rng.randint(HOUR // 2, 2 * HOUR)
    o.payments.append((o.cancel + c.rng.randint(HOUR // 2, 6 * HOUR), "refund", o.total))
    s.events = refused_events(c.clock, c.world, s)
    s.ret = True
    s.restock = c.clock.add(s.events[-1][0], c.rng.uniform(2, 20))  # booked back in within the SLA
    return [o.order_id]


# --- handover and transit ----------------------------------------------------------

def _handed_over_long_ago(c: Injection, o: Order) -> Shipment | None:
    s = _single(o)
    if s is None or c.clock.between(s.shipped, c.end) < 30:
        return None
    return s


def no_first_scan(c: Injection, o: Order) -> list[str] | None:
    s = _handed_over_long_ago(c, o)
    if s is None:
        return None
    s.events = s.events[:1]  # the label, and nothing from the carrier since
    return [s.shipment_id]


def unknown_tracking_number(c: Injection, o: Order) -> list[str] | None:
    s = _handed_over_long_ago(c, o)
    if s is None:
        return None
    s.events = []
    if c.rng.random() < 0.5:
        s.tracking = c.world.tracking.malformed(s.carrier, s.tracking)
    return [s.shipment_id]


def stalled_in_transit(c: Injection, o: Order) -> list[str] | None:
    s = _single(o)
    if s is None or len(s.events) < 3 or c.clock.between(s.events[2][0], c.end) < 45:
        return None
    s.events = s.events[:3]  # picked up, sorted at the hub, then silence
    return [s.shipment_id]


def carrier_exception_open(c: Injection, o: Order) -> list[str] | None:
    s = _single(o)
    if s is None:
        return None
    out = s.last("out_for_delivery")
    if out is not None and out <= c.end - 3 * HOUR and c.rng.random() < 0.5:
        at, status = out + c.rng.randint(HOUR, 3 * HOUR), "failed_attempt"
    else:
        picked = s.events[1][0]
        if picked > c.end - 2 * HOUR:
            return None
        at = picked + c.rng.randint(HOUR, min(30 * HOUR, c.end - picked - 60))
        status = "exception"  # damaged, or the address could not be found
    kept = [e for e in s.events if e[0] < at]
    s.events = kept + [(at, status, kept[-1][2])]
    s.keep_last = True
    return [s.shipment_id]


# --- delivery and returns ----------------------------------------------------------

def late_delivery(c: Injection, o: Order) -> list[str] | None:
    s = _single(o)
    if s is None or o.promise_delivery is None:
        return None
    delivered = o.promise_delivery + c.rng.randint(26 * HOUR, 40 * HOUR)
    if delivered + HOUR > c.end:
        return None
    s.events = slow_events(c.clock, c.world, s, delivered)
    return [o.order_id]


def delivered_not_closed(c: Injection, o: Order) -> list[str] | None:
    s = _single(o)
    delivered = s.last("delivered") if s else None
    if delivered is None or delivered > c.end - 36 * HOUR:
        return None
    o.hide_delivery = True
    return [o.order_id]


def impossible_timeline(c: Injection, o: Order) -> list[str] | None:
    if o.kind != "normal" or o.paid is None or o.paid > c.end - HOUR:
        return None
    o.placed = o.paid + c.rng.randint(120, 900)  # the storefront clock runs behind the gateway's
    return [o.order_id]


def return_not_restocked(c: Injection, o: Order) -> list[str] | None:
    s = _single(o)
    if s is None or s.events[1][0] > c.end - 6 * DAY:  # too recent to be back and forgotten
        return None
    events = refused_events(c.clock, c.world, s)
    if c.clock.between(events[-1][0], c.end) < 52:
        return None
    s.ret = True
    s.events = events  # back at the warehouse, and nobody books it into stock
    return [s.shipment_id]


def billed_weight_mismatch(c: Injection, o: Order) -> list[str] | None:
    s = _single(o)
    delivered = s.last("delivered") if s else None
    if s is None or delivered is None or delivered + s.invoice_delay > c.end:
        return None
    s.billed_factor = c.rng.uniform(1.25, 1.6)
    return []  # the invoice id is known once billing.py numbers the invoices


def split_shipment_overcharge(c: Injection, o: Order) -> list[str] | None:
    """The packer sends the order as two parcels a little apart, and the carrier bills both."""
    s = _single(o)
    window = c.thresholds.get("split_parcel_window_hours")
    if s is None or window is None or len(o.lines) < 2 or s.last("delivered") is None:
        return None
    assert o.promise is not None and o.promise_delivery is not None
    later = s.shipped + c.rng.randint(15 * 60, max(16 * 60, round((window - 0.5) * HOUR)))
    if later > o.promise:
        return None
    k = c.rng.randint(1, len(s.lines) - 1)
    first, rest = s.lines[:k], s.lines[k:]
    weight = sum(c.world.sku[sku].weight_g * q for sku, q in rest)
    second = Shipment(
        shipment_id=s.shipment_id + "b", warehouse=s.warehouse, carrier=s.carrier,
        tracking=c.world.tracking.next(s.carrier), shipped=later, ordered=list(rest), lines=list(rest),
        weight_g=weight + c.rng.randint(50, 250), dest=s.dest, rseed=c.rng.getrandbits(32),
        invoice_delay=c.rng.randint(6 * HOUR, 72 * HOUR),
    )
    second.events = clean_events(c.clock, c.world, second, o.promise_delivery - ARRIVE_MARGIN)
    if second.events[1][0] > o.promise_delivery - ARRIVE_MARGIN:
        return None
    s.ordered, s.lines, s.weight_g = list(first), list(first), max(100, s.weight_g - weight)
    o.ships.append(second)
    return [o.order_id]


ORDER_INJECTORS: dict[str, Injector] = {
    "order_fields_valid": order_fields_valid,
    "order_total_mismatch": order_total_mismatch,
    "unknown_sku": unknown_sku,
    "paid_amount_mismatch": paid_amount_mismatch,
    "awaiting_payment_too_long": awaiting_payment_too_long,
    "cancelled_not_refunded": cancelled_not_refunded,
    "not_allocated_in_sla": not_allocated_in_sla,
    "late_shipment": late_shipment,
    "wrong_item_shipped": wrong_item_shipped,
    "shipped_cancelled_order": shipped_cancelled_order,
    "no_first_scan": no_first_scan,
    "unknown_tracking_number": unknown_tracking_number,
    "stalled_in_transit": stalled_in_transit,
    "carrier_exception_open": carrier_exception_open,
    "late_delivery": late_delivery,
    "delivered_not_closed": delivered_not_closed,
    "impossible_timeline": impossible_timeline,
    "return_not_restocked": return_not_restocked,
    "billed_weight_mismatch": billed_weight_mismatch,
    "split_shipment_overcharge": split_shipment_overcharge,
}


def duplicate_tracking_number(c: Injection, orders: list[Order]) -> list[tuple[list[str], Order]]:
    """Two parcels of the hour leave the same dock under one reused label."""
    parcels = sorted(((s.carrier, s.shipped, o.order_id, o, s) for o in orders
                      if (s := _single(o)) is not None), key=lambda p: (p[0], p[1], p[2]))
    out = []
    for a, b in pairwise(parcels):
        if a[3].anomaly or b[3].anomaly or not _can_share(c, a[3], a[4], b[4]):
            continue
        if c.rng.random() < c.rate:
            s1, s2 = a[4], b[4]
            s1.tracking, s1.events, s1.shared, s2.shared = s2.tracking, s2.events, True, True
            a[3].anomaly = b[3].anomaly = "duplicate_tracking_number"
            out.append(([s2.tracking], b[3]))
    return out


HOUR_INJECTORS = {"duplicate_tracking_number": duplicate_tracking_number}


def _can_share(c: Injection, first: Order, s1: Shipment, s2: Shipment) -> bool:
    if s1.carrier != s2.carrier or s2.shipped - s1.shipped > HOUR:
        return False
    if c.clock.day(s1.shipped) != c.clock.day(s2.shipped):
        return False
    delivered = s2.last("delivered")
    # the shared journey must also keep the first order's delivery promise
    if delivered is None:
        return True
    return first.promise_delivery is not None and delivered <= first.promise_delivery - ARRIVE_MARGIN
