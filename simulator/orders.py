"""Clean order lifecycles: when orders come in, and how each one is paid, picked and shipped.

Every clean order keeps clear of the checks' thresholds: payment comes within 30 hours
or the order is cancelled, allocation within 1 business hour of payment, the last parcel
leaves at most 15 of the 16 promised business hours after payment, and a parcel arrives
at least 6 hours before the delivery promise.
"""

from __future__ import annotations

import random
from bisect import bisect
from collections.abc import Iterator
from itertools import accumulate

from .clock import DAY, HOUR, Clock
from .model import Order, Shipment
from .tracking import clean_events
from .world import World

# local hour -> share of the day's orders (evening peak, quiet nights)
HOURLY = [0.25, 0.15, 0.1, 0.08, 0.08, 0.12, 0.3, 0.6, 0.9, 1.1, 1.3, 1.4,
          1.5, 1.4, 1.3, 1.3, 1.3, 1.3, 1.4, 1.6, 1.8, 1.7, 1.2, 0.6]
HOURLY = [w * 24 / sum(HOURLY) for w in HOURLY]
WEEKDAY = [1.05] * 5 + [0.875] * 2  # averages to 1 over a week

CHANNELS = ("web", "app", "marketplace")
CHANNEL_CUM = list(accumulate([50, 30, 20]))
LINE_CUM = list(accumulate([22, 30, 28, 20]))  # about 2.5 lines an order
QTY_CUM = list(accumulate([75, 20, 5]))
FX = {"BRL": 1.0, "USD": 5.4, "EUR": 5.9}  # marketplace orders priced abroad
SHIPPING = {1: 1490, 2: 1990, 3: 2990}
FREE_SHIPPING = 19900

PROMISE_SHIP_BH = 16
PROMISE_DELIVERY = 5 * DAY
ARRIVE_MARGIN = 6 * HOUR


def placement_times(rng: random.Random, clock: Clock, first: int, end: int, per_hour: float) -> list[int]:
    """Order arrival instants in [first, end], hour by hour, following the daily pattern."""
    times: list[int] = []
    hour = first - first % HOUR
    while hour <= end:
        day = clock.day(hour)
        rate = per_hour * HOURLY[clock.local_hour(hour)] * WEEKDAY[clock.weekday(day)]
        n = int(rate) + (rng.random() < rate - int(rate))
        times += sorted(hour + rng.randrange(HOUR) for _ in range(n))
        hour += HOUR
    return [t for t in times if first <= t <= end]


def draw_order(rng: random.Random, world: World, clock: Clock, n: int, placed: int,
               ship_ids: Iterator[int], end: int) -> Order:
    state = world.states[_pick(rng, world.state_cum)]
    warehouse = state.warehouse
    channel = CHANNELS[_pick(rng, CHANNEL_CUM)]
    currency = "BRL"
    if channel == "marketplace" and rng.random() < 0.08:
        currency = "USD" if rng.random() < 0.7 else "EUR"
    lines = _draw_lines(rng, world, currency)
    subtotal = sum(q * p for _, _, q, p in lines)
    discount = round(subtotal * rng.uniform(0.05, 0.15)) if rng.random() < 0.2 else 0
    zone = world.zone_days(warehouse, state.uf)
    free = subtotal * FX[currency] >= FREE_SHIPPING
    shipping = 0 if free else round(SHIPPING[zone] / FX[currency])
    order = Order(
        order_id=f"O-{n:06d}",
        channel=channel,
        customer_id=f"C-{rng.randrange(1, world.customers + 1):05d}",
        placed=placed,
        currency=currency,
        lines=lines,
        shipping=shipping,
        discount=discount,
        total=subtotal + shipping - discount,
        state=state.uf,
        postcode=_postcode(rng, state.cep_low, state.cep_high),
        warehouse=warehouse,
        kind="normal",
        paid=None,
        payments=[],
        cancel=None,
        alloc=None,
        ships=[],
        promise=None,
        promise_delivery=None,
        oms_delay=rng.randint(60, 1800),
        close_after=rng.randint(7 * DAY, 8 * DAY),
        echo=rng.random() < 0.08,
    )
    _pay(rng, clock, order)
    if order.kind == "normal":
        _ship(rng, world, clock, order, ship_ids, end)
    return order


def _pay(rng: random.Random, clock: Clock, o: Order) -> None:
    r = rng.random()
    if r < 0.86:  # card: captured at once
        paid = o.placed + rng.randint(5, 180)
    elif r < 0.97:  # pix or boleto: paid within the day
        paid = o.placed + rng.randint(12 * 60, 24 * HOUR)
    else:  # never paid: the shop cancels it well before the payment SLA
        o.kind = "cancel_unpaid"
        o.cancel = o.placed + rng.randint(24 * HOUR, 30 * HOUR)
        return
    o.paid = paid
    o.payments.append((paid, "capture", o.total))
    # the promise starts when the money is in: an unpaid order has no promise yet
    o.promise = clock.add(paid, PROMISE_SHIP_BH)
    o.promise_delivery = o.promise + PROMISE_DELIVERY
    o.alloc = clock.add(paid, rng.uniform(0.05, 1.0))
    if rng.random() < 0.03:  # the customer changes their mind before anything ships
        o.kind = "cancel_paid"
        o.cancel = paid + rng.randint(12 * 60, 72 * 60)  # parcels leave 1.5 h after payment at the earliest
        if o.alloc >= o.cancel:
            o.alloc = None
        o.payments.append((o.cancel + rng.randint(HOUR // 2, 12 * HOUR), "refund", o.total))


def _ship(rng: random.Random, world: World, clock: Clock, o: Order, ship_ids: Iterator[int],
          end: int) -> None:
    assert o.paid is not None and o.promise_delivery is not None
    names, weights = world.carriers_for(o.state)
    carrier = names[_pick(rng, weights)]
    hours = _ship_plan(rng, len(o.lines), world.split_gap_bh)
    if len(hours) == 2:
        k = rng.randint(1, len(o.lines) - 1)
        groups = [o.lines[:k], o.lines[k:]]
    else:
        groups = [o.lines]
    for h, group in zip(hours, groups, strict=True):
        items = [(sku, q) for _, sku, q, _ in group]
        fail, ret = rng.random() < 0.06, rng.random() < 0.02
        s = Shipment(
            shipment_id=f"S-{next(ship_ids):07d}",
            warehouse=o.warehouse,
            carrier=carrier,
            tracking=world.tracking.next(carrier),
            shipped=clock.add(o.paid, h),
            ordered=items,
            lines=list(items),
            weight_g=sum(world.sku[sku].weight_g * q for sku, q in items) + rng.randint(50, 250),
            dest=o.state,
            rseed=rng.getrandbits(32),
            fail=fail,
            ret=ret and not fail and len(hours) == 1,
            invoice_delay=rng.randint(6 * HOUR, 72 * HOUR),
        )
        restock_hours, refund_delay = rng.uniform(2, 20), rng.randint(HOUR // 2, 4 * HOUR)
        if s.shipped <= end:  # a timeline after `end` would never be seen
            s.events = clean_events(clock, world, s, o.promise_delivery - ARRIVE_MARGIN)
        returned = s.last("returned_to_sender")
        if returned is not None:  # restocked within the SLA, then refunded
            s.restock = clock.add(returned, restock_hours)
            o.payments.append((s.restock + refund_delay, "refund", o.total))
        o.ships.append(s)


def _ship_plan(rng: random.Random, n_lines: int, gap: float) -> list[float]:
    """Business hours after payment at which each parcel leaves (one or two parcels).

    A clean partial shipment leaves at least `gap` business hours after the first parcel,
    so it never looks like a parcel that could have travelled with the first one.
    """
    if n_lines >= 2 and rng.random() < 0.15 and gap < 13:
        first = rng.uniform(1.5, 15 - gap)
        return [first, rng.uniform(first + gap, 15)]
    return [rng.uniform(1.5, 14)]


def _draw_lines(rng: random.Random, world: World, currency: str) -> list[tuple[int, str, int, int]]:
    count = _pick(rng, LINE_CUM) + 1
    chosen: list[str] = []
    while len(chosen) < count:
        sku = world.skus[_pick(rng, world.sku_cum)].sku
        if sku not in chosen:
            chosen.append(sku)
    return [
        (no, sku, _pick(rng, QTY_CUM) + 1, round(world.sku[sku].price / FX[currency]))
        for no, sku in enumerate(chosen, start=1)
    ]


def _postcode(rng: random.Random, low: int, high: int) -> str:
    return f"{rng.randint(low, high):05d}-{rng.randrange(1000):03d}"


def _pick(rng: random.Random, cum: list[float]) -> int:
    # what random.choices does, without its per-call setup
    return bisect(cum, rng.random() * cum[-1])
