"""Carrier timelines: what a carrier reports for one parcel, from label to doorstep.

A clean timeline never goes quiet for long: after pickup there is a scan every working
day (carriers rest on weekends and holidays), so no clean parcel looks stalled. Each
parcel draws from its own seeded generator, so a timeline can be rebuilt after its
ship time changes.
"""

from __future__ import annotations

import random

from .clock import HOUR, Clock
from .model import Event, Shipment
from .world import WAREHOUSES, World

_RNG = random.Random()


def _draws(seed: int) -> random.Random:
    # re-seeding one generator costs half of building a new one, per parcel
    _RNG.seed(seed)
    return _RNG


def _start(clock: Clock, world: World, s: Shipment, r: random.Random) -> list[Event]:
    _, site, hub = WAREHOUSES[s.warehouse]
    picked = clock.add(s.shipped, r.uniform(0.5, 4))  # the carrier's van comes by
    return [
        (s.shipped, "label_created", site),
        (picked, "picked_up", site),
        (picked + r.randint(2 * HOUR, 5 * HOUR), "in_transit", hub),
    ]


def _nightly(clock: Clock, first: int, last: int, place: str, r: random.Random) -> list[Event]:
    """One overnight sorting scan per working day in [first, last)."""
    return [
        (clock.at(d, r.uniform(1, 6)), "in_transit", place)
        for d in range(first, last)
        if clock.is_working(d)
    ]


def _attempt(clock: Clock, day: int, city: str, r: random.Random) -> tuple[Event, int]:
    out = clock.at(day, r.uniform(8, 10.5))
    return (out, "out_for_delivery", city), out


def _to_delivery_day(clock: Clock, world: World, s: Shipment) -> tuple[random.Random, list[Event], int, int]:
    """The parcel's draws, its scans up to its first delivery day, the zone's days and that day."""
    r = _draws(s.rseed)
    hub = WAREHOUSES[s.warehouse][2]
    ev = _start(clock, world, s, r)
    day0 = clock.day(ev[1][0])
    zone = world.zone_days(s.warehouse, s.dest)
    dday = clock.next_working(day0 + zone)
    ev += _nightly(clock, day0 + 1, dday, hub, r)
    return r, ev, zone, dday


def clean_events(clock: Clock, world: World, s: Shipment, deliver_by: int | None) -> list[Event]:
    _, site, hub = WAREHOUSES[s.warehouse]
    city = world.state[s.dest].city
    r, ev, zone, dday = _to_delivery_day(clock, world, s)
    ev.append((clock.at(dday, r.uniform(4, 7)), "in_transit", city))
    event, out = _attempt(clock, dday, city, r)
    ev.append(event)
    if not (s.fail or s.ret):
        ev.append((out + r.randint(HOUR // 2, 8 * HOUR), "delivered", city))
        return _fit(_increasing(ev), deliver_by)
    ev.append((out + r.randint(HOUR, 6 * HOUR), "failed_attempt", city))
    day2 = clock.next_working(dday + 1)
    event, out = _attempt(clock, day2, city, r)
    ev.append(event)
    if s.fail:
        ev.append((out + r.randint(HOUR // 2, 6 * HOUR), "delivered", city))
        return _fit(_increasing(ev), deliver_by)
    failed = out + r.randint(HOUR, 5 * HOUR)
    ev.append((failed, "failed_attempt", city))
    ev.append((failed + r.randint(2 * HOUR, 4 * HOUR), "in_transit", city))
    back = clock.next_working(day2 + zone)
    ev += _nightly(clock, day2 + 1, back, hub, r)
    ev.append((clock.at(back, r.uniform(10, 16)), "returned_to_sender", site))
    return _increasing(ev)


def refused_events(clock: Clock, world: World, s: Shipment) -> list[Event]:
    """Refused at the door on the first attempt, and carried straight back to the warehouse."""
    _, site, hub = WAREHOUSES[s.warehouse]
    city = world.state[s.dest].city
    r, ev, zone, dday = _to_delivery_day(clock, world, s)
    event, out = _attempt(clock, dday, city, r)
    refused = out + r.randint(HOUR, 5 * HOUR)
    ev += [event, (refused, "failed_attempt", city), (refused + r.randint(2 * HOUR, 4 * HOUR), "in_transit", city)]
    back = clock.next_working(dday + zone)
    ev += _nightly(clock, dday + 1, back, hub, r)
    ev.append((clock.at(back, r.uniform(10, 16)), "returned_to_sender", site))
    return _increasing(ev)


def slow_events(clock: Clock, world: World, s: Shipment, delivered: int) -> list[Event]:
    """A parcel that keeps moving, scanned every 10 to 20 hours, and arrives at `delivered`."""
    r = _draws(s.rseed)
    _, _, hub = WAREHOUSES[s.warehouse]
    city = world.state[s.dest].city
    ev = _start(clock, world, s, r)
    t = ev[-1][0]
    while t + 34 * HOUR < delivered:
        t += r.randint(10 * HOUR, 20 * HOUR)
        ev.append((t, "in_transit", hub))
    ev.append((delivered - r.randint(7 * HOUR, 12 * HOUR), "in_transit", city))
    ev.append((delivered - r.randint(2 * HOUR, 5 * HOUR), "out_for_delivery", city))
    ev.append((delivered, "delivered", city))
    return _increasing(ev)


def _increasing(ev: list[Event]) -> list[Event]:
    # the pipeline takes the last status by time: two events may never share a second
    out = [ev[0]]
    for t, status, place in ev[1:]:
        out.append((max(t, out[-1][0] + 60), status, place))
    return out


def _fit(ev: list[Event], deadline: int | None) -> list[Event]:
    """Squeeze the journey after pickup so a clean parcel arrives by `deadline`."""
    if deadline is None or ev[-1][0] <= deadline:
        return ev
    picked = ev[1][0]
    span = ev[-1][0] - picked
    room = max(deadline - picked, 60 * len(ev))
    squeezed = ev[:2] + [(picked + (t - picked) * room // span, st, p) for t, st, p in ev[2:]]
    return _increasing(squeezed)
