"""Stock: movements and daily snapshots per (warehouse, sku), and the stock anomalies.

Orders drive the stock: allocations raise `allocated`, picks lower both `on_hand` and
`allocated`, cancellations release, returns restock. Receipts arrive whenever free stock
would fall below a floor kept 10 units above the reorder point, so a clean position
never looks at risk. Snapshots are taken at 03:00 UTC and agree with the movements.
"""

from __future__ import annotations

import math
import random
from collections import defaultdict
from dataclasses import dataclass, field

from .clock import DAY, HOUR, Clock
from .model import Order
from .world import WAREHOUSES, World

SNAPSHOT_HOUR_UTC = 3
FLOOR_ABOVE_REORDER = 10

# (occurred_at, seq, on_hand delta, allocated delta, movement reason or "", order_id)
StockEvent = tuple[int, int, int, int, str, str]
Movement = tuple[int, str, str, int, str, str]  # (occurred_at, warehouse, sku, delta, reason, order_id)
Snapshot = tuple[int, str, str, int, int]  # (snapshot_at, warehouse, sku, on_hand, allocated)


@dataclass
class Stock:
    movements: list[Movement] = field(default_factory=list)
    snapshots: list[Snapshot] = field(default_factory=list)
    truth: list[tuple[str, str]] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def snapshot_times(first: int, end: int) -> list[int]:
    t = first - first % DAY + SNAPSHOT_HOUR_UTC * HOUR
    if t < first:
        t += DAY
    return list(range(t, end + 1, DAY))


def order_events(orders: list[Order], end: int) -> dict[tuple[str, str], list[StockEvent]]:
    events: dict[tuple[str, str], list[StockEvent]] = defaultdict(list)
    seq = 0

    def add(pos: tuple[str, str], t: int, on_hand: int, allocated: int, reason: str, order_id: str) -> None:
        nonlocal seq
        if t <= end:
            seq += 1
            events[pos].append((t, seq, on_hand, allocated, reason, order_id))

    for o in orders:
        if o.held or o.alloc is None:
            continue
        wh, oid = o.warehouse, o.order_id
        for _, sku, qty, _ in o.lines:
            add((wh, sku), o.alloc, 0, qty, "", oid)
        if o.kind == "cancel_paid" and o.cancel is not None:
            for _, sku, qty, _ in o.lines:
                add((wh, sku), o.cancel, 0, -qty, "", oid)
        for s in o.ships:
            if s.ordered == s.lines:
                for sku, qty in s.lines:
                    add((wh, sku), s.shipped, -qty, -qty, "pick", oid)
            else:  # a wrong pick: the allocation closes, other stock leaves
                for sku, qty in s.ordered:
                    add((wh, sku), s.shipped, 0, -qty, "", oid)
                for sku, qty in s.lines:
                    add((wh, sku), s.shipped, -qty, 0, "pick", oid)
            if s.restock is not None:
                for sku, qty in s.lines:
                    add((wh, sku), s.restock, qty, 0, "return", oid)
    return events


def cycle_counts(rng: random.Random, clock: Clock, world: World, first: int, end: int,
                 events: dict[tuple[str, str], list[StockEvent]]) -> None:
    """Small count corrections during working hours: normal noise that is booked."""
    positions = [(wh, s.sku) for wh in WAREHOUSES for s in world.skus]
    for day in range(clock.day(first), clock.day(end) + 1):
        if not clock.is_working(day):
            continue
        for _ in range(3):
            t = clock.at(day, rng.uniform(10, 17))
            pos = positions[rng.randrange(len(positions))]
            delta = rng.choice([-2, -1, 1, 2])
            if first <= t <= end:
                events[pos].append((t, -1, delta, 0, "adjustment", ""))


def simulate_stock(rng: random.Random, clock: Clock, world: World, orders: list[Order],
                   first: int, end: int, rate: float) -> Stock:
    events = order_events(orders, end)
    cycle_counts(rng, clock, world, first, end, events)
    snaps = snapshot_times(first, end)
    days = max((end - first) / DAY, 1.0)
    stock = Stock()
    states: dict[tuple[str, str], tuple[int, int]] = {}
    for wh in WAREHOUSES:
        for sku in world.skus:
            pos = (wh, sku.sku)
            evs = sorted(events.get(pos, []))
            demand = sum(e[3] for e in evs if e[3] > 0) / days
            states[pos] = _run(pos, evs, snaps, sku.reorder_point, demand, stock)
    if len(snaps) >= 2 and rate > 0:
        _inject(rng, world, stock, states, snaps[-1], end, rate)
    return stock


def _run(pos: tuple[str, str], evs: list[StockEvent], snaps: list[int], reorder_point: int,
         daily_demand: float, stock: Stock) -> tuple[int, int]:
    """Replay one position; returns (on_hand, allocated) at the last snapshot."""
    wh, sku = pos
    floor = reorder_point + FLOOR_ABOVE_REORDER
    lot = max(12, math.ceil(3 * daily_demand))
    on_hand, allocated = floor + lot + math.ceil(2 * daily_demand), 0
    last = (on_hand, allocated)
    k = 0
    for t, _, d_on, d_alloc, reason, order_id in evs:
        while k < len(snaps) and snaps[k] < t:
            stock.snapshots.append((snaps[k], wh, sku, on_hand, allocated))
            last = (on_hand, allocated)
            k += 1
        short = floor - (on_hand + d_on - allocated - d_alloc)
        if short > 0:  # replenish just in time, in whole lots
            received = lot * math.ceil(short / lot)
            on_hand += received
            stock.movements.append((t, wh, sku, received, "receipt", ""))
        on_hand += d_on
        allocated += d_alloc
        if reason:
            stock.movements.append((t, wh, sku, d_on, reason, order_id))
    for snap in snaps[k:]:
        stock.snapshots.append((snap, wh, sku, on_hand, allocated))
        last = (on_hand, allocated)
    return last


def _inject(rng: random.Random, world: World, stock: Stock, states: dict[tuple[str, str], tuple[int, int]],
            latest: int, end: int, rate: float) -> None:
    """Bend the latest snapshot of a few positions; booked adjustments keep the drift check quiet."""
    positions = sorted(states)
    chosen: dict[tuple[str, str], str] = {}
    checks = ("oversold", "stock_drift", "stockout_risk")
    for pos in positions:
        for check in checks:
            if rng.random() < rate and _eligible(check, states[pos]):
                chosen[pos] = check
                break
    for check in checks:
        start = rng.randrange(len(positions))
        for k in range(len(positions)):
            if sum(1 for c in chosen.values() if c == check) >= 2:
                break
            pos = positions[(start + k) % len(positions)]
            if pos not in chosen and _eligible(check, states[pos]):
                chosen[pos] = check
    targets: dict[tuple[str, str], int] = {}
    for pos, check in sorted(chosen.items()):
        on_hand, allocated = states[pos]
        reorder = world.sku[pos[1]].reorder_point
        if check == "stock_drift":  # a count that nobody booked
            targets[pos] = on_hand + rng.choice([-4, -3, -2, 2, 3, 4])
        else:
            if check == "oversold":  # stock written off under open allocations
                target = allocated - rng.randint(1, min(3, allocated))
            else:  # damaged stock leaves free stock below the reorder point
                target = allocated + reorder - rng.randint(1, reorder)
            at = latest - rng.randint(30 * 60, 2 * HOUR)
            stock.movements.append((at, pos[0], pos[1], target - on_hand, "adjustment", ""))
            refill = latest + rng.randint(HOUR, 3 * HOUR)  # the buyer reacts the next morning
            if refill <= end:
                stock.movements.append((refill, pos[0], pos[1], on_hand - target, "receipt", ""))
            targets[pos] = target
        stock.truth.append((check, f"{pos[0]}:{pos[1]}"))
        stock.counts[check] = stock.counts.get(check, 0) + 1
    if targets:
        stock.snapshots = [
            (t, wh, sku, targets[(wh, sku)], a) if t == latest and (wh, sku) in targets else (t, wh, sku, o, a)
            for t, wh, sku, o, a in stock.snapshots
        ]


def _eligible(check: str, state: tuple[int, int]) -> bool:
    # oversold needs open allocations to exceed; the others fit any clean position
    return check != "oversold" or state[1] >= 1
