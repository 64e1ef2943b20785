"""Carrier invoices: one per delivered parcel, plus charges for parcels we never sent."""

from __future__ import annotations

import random
from dataclasses import dataclass

from .clock import DAY, HOUR
from .model import Order
from .world import CARRIERS, World

# carrier -> (service, base charge in cents, cents per kg)
TARIFFS = {
    "correios": ("PAC", 1890, 450),
    "jadlog": (".PACKAGE", 2090, 500),
    "loggi": ("EXPRESSO", 1590, 390),
}


@dataclass(frozen=True, slots=True)
class Invoice:
    invoiced_at: int
    carrier: str
    tracking: str
    billed_g: int
    charged: int  # cents
    service: str
    declared_g: int | None  # what we declared for the parcel; None when we never shipped it
    check: str | None  # the anomaly this invoice carries, if any


def bill(rng: random.Random, world: World, orders: list[Order], first: int, end: int,
         rate: float) -> list[Invoice]:
    invoices = _delivered_parcels(rng, orders, end)
    if rate > 0:
        invoices += _phantoms(rng, world, len(invoices), first, end, rate)
    return sorted(invoices, key=lambda i: (i.invoiced_at, i.carrier, i.tracking))


def _delivered_parcels(rng: random.Random, orders: list[Order], end: int) -> list[Invoice]:
    lightest: dict[str, int] = {}  # a reused label is billed once, for its lightest parcel
    for o in orders:
        for s in o.ships:
            if s.shared:
                lightest[s.tracking] = min(s.weight_g, lightest.get(s.tracking, s.weight_g))
    invoices = []
    for o in orders:
        for s in o.ships:
            delivered = s.last("delivered")
            factor = rng.uniform(0.97, 1.07)  # scales disagree a little, within tolerance
            if delivered is None or delivered + s.invoice_delay > end:
                continue
            if s.shared and s.tracking not in lightest:
                continue
            declared = lightest.pop(s.tracking, s.weight_g)
            mismatch = s.billed_factor > 1.1
            billed = round(declared * (s.billed_factor if mismatch else factor))
            invoices.append(_invoice(delivered + s.invoice_delay, s.carrier, s.tracking, billed, declared,
                                     "billed_weight_mismatch" if mismatch else None))
    return invoices


def _phantoms(rng: random.Random, world: World, n_invoices: int, first: int, end: int,
              rate: float) -> list[Invoice]:
    """Charges for numbers that were never on our shipments."""
    count = sum(1 for _ in range(n_invoices) if rng.random() < rate)
    start = max(first, end - 5 * DAY)
    return [
        _invoice(
            rng.randint(start, end),
            carrier := CARRIERS[rng.randrange(3)],
            world.tracking.next(carrier),
            rng.randint(200, 5000),
            None,
            "charge_without_shipment",
        )
        for _ in range(max(count, 2))
    ]


def _invoice(at: int, carrier: str, tracking: str, billed_g: int, declared_g: int | None,
             check: str | None) -> Invoice:
    service, base, per_kg = TARIFFS[carrier]
    charged = base + per_kg * billed_g // 1000
    return Invoice(at - at % HOUR, carrier, tracking, billed_g, charged, service, declared_g, check)
