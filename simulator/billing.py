"""Carrier invoices: one per delivered parcel, and the injector of charges for parcels we never sent."""

from __future__ import annotations

import random
from dataclasses import dataclass

from .clock import DAY, HOUR
from .world import CARRIERS, World

# carrier -> (service, base charge in cents, cents per kg)
TARIFFS = {
    "correios": ("PAC", 1890, 450),
    "jadlog": (".PACKAGE", 2090, 500),
    "loggi": ("EXPRESSO", 1590, 390),
}


@dataclass(frozen=True, slots=True)
class Invoice:
    invoice_id: str
    invoiced_at: int
    carrier: str
    tracking: str
    billed_g: int
    charged: int  # cents
    service: str
    declared_g: int | None  # what we declared for the parcel; None when we never shipped it
    check: str | None  # the anomaly this invoice carries, if any


def invoice(at: int, carrier: str, tracking: str, billed_g: int, declared_g: int | None,
            check: str | None) -> Invoice:
    service, base, per_kg = TARIFFS[carrier]
    charged = base + per_kg * billed_g // 1000
    return Invoice(f"INV-{tracking}", at - at % HOUR, carrier, tracking, billed_g, charged, service,
                   declared_g, check)


def charge_without_shipment(rng: random.Random, world: World, hour_start: int) -> Invoice:
    """A charge for a number that was never on our shipments, billed within days."""
    carrier = CARRIERS[rng.randrange(3)]
    return invoice(hour_start + rng.randint(HOUR, 4 * DAY), carrier, world.tracking.next(carrier),
                   rng.randint(200, 5000), None, "charge_without_shipment")


INVOICE_INJECTORS = {"charge_without_shipment": charge_without_shipment}
