"""Orders and shipments as the simulator keeps them, and what the shop shows of them.

Times are integer UTC epoch seconds and money integer cents. An order carries its whole
planned life, some of it after `end`; `finalize` cuts the carrier history at `end`, and
`status_at` answers what the order API said at any instant up to it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

Event = tuple[int, str, str]  # (event_at, status, location)
Line = tuple[int, str, int, int]  # (line_no, sku, quantity, unit_price)
Payment = tuple[int, str, int]  # (occurred_at, kind, amount)

OPEN_CARRIER_STATES = ("failed_attempt", "exception")


@dataclass(slots=True, eq=False)
class Shipment:
    shipment_id: str
    warehouse: str
    carrier: str
    tracking: str
    shipped: int
    ordered: list[tuple[str, int]]  # the order lines this parcel was meant to carry
    lines: list[tuple[str, int]]  # what actually left the warehouse
    weight_g: int
    dest: str  # destination state
    rseed: int  # redraws the same carrier timeline after a change of ship time
    fail: bool = False  # one failed delivery attempt, delivered the next day
    ret: bool = False  # returned to sender after two failed attempts
    invoice_delay: int = 0
    events: list[Event] = field(default_factory=list)
    keep_last: bool = False  # an injected open exception stays the last event
    restock: int | None = None
    billed_factor: float = 1.0
    shared: bool = False  # its tracking number is on another shipment too

    def last(self, status: str) -> int | None:
        for t, s, _ in reversed(self.events):
            if s == status:
                return t
        return None


@dataclass(slots=True, eq=False)
class Order:
    order_id: str
    channel: str
    customer_id: str | None
    placed: int
    currency: str
    lines: list[Line]
    shipping: int
    discount: int
    total: int
    state: str
    postcode: str
    warehouse: str
    kind: str  # normal, cancel_unpaid, cancel_paid, cancel_shipped, unpaid
    paid: int | None
    payments: list[Payment]
    cancel: int | None
    alloc: int | None
    ships: list[Shipment]
    promise: int | None
    promise_delivery: int | None
    oms_delay: int  # how long the shop takes to reflect a carrier status
    close_after: int  # return window after delivery
    echo: bool  # the API re-delivers an older version of this order
    held: bool = False  # order-capture anomaly: nothing happens after payment
    hide_delivery: bool = False  # the shop never hears of the delivery
    anomaly: str | None = None
    delivered_status: int | None = None
    returned_status: int | None = None

    @property
    def subtotal(self) -> int:
        return sum(q * p for _, _, q, p in self.lines)


def finalize(order: Order, end: int) -> None:
    """Cut carrier histories at `end` and derive when the shop learnt of deliveries."""
    for s in order.ships:
        events = [e for e in s.events if e[0] <= end]
        # a clean parcel's failed attempt is always followed by a new attempt; if that
        # comes after `end`, the carrier has not reported the failure yet either
        if events and events[-1][1] in OPEN_CARRIER_STATES and not s.keep_last:
            events.pop()
        s.events = events
    order.delivered_status = None
    order.returned_status = None
    if not order.ships or order.kind != "normal":
        return
    delivered = [s.last("delivered") for s in order.ships]
    if not order.hide_delivery and all(d is not None for d in delivered):
        order.delivered_status = max(delivered) + order.oms_delay
    returned = [r for s in order.ships if (r := s.last("returned_to_sender")) is not None]
    if returned:
        order.returned_status = min(returned) + order.oms_delay


def status_at(o: Order, t: int) -> str:
    if o.cancel is not None and o.cancel <= t:
        return "cancelled"
    shipped = sum(1 for s in o.ships if s.shipped <= t)
    if shipped and shipped == len(o.ships):
        if o.returned_status is not None and o.returned_status <= t:
            return "returned"
        if o.delivered_status is not None and o.delivered_status <= t:
            return "closed" if o.delivered_status + o.close_after <= t else "delivered"
        return "shipped"
    if shipped:
        return "partially_shipped"
    if o.paid is not None and o.paid <= t:
        return "paid"
    return "pending_payment"


def change_times(o: Order, end: int) -> list[int]:
    """Every instant the order API would re-deliver this order, up to `end`, sorted."""
    times = {o.placed}
    times.update(t for t, _, _ in o.payments)
    times.update(s.shipped for s in o.ships)
    if o.cancel is not None:
        times.add(o.cancel)
    if o.delivered_status is not None:
        times.update((o.delivered_status, o.delivered_status + o.close_after))
    if o.returned_status is not None:
        times.add(o.returned_status)
    # the shop stamps versions with its own clock: never before the order was placed
    return sorted(t for t in times if o.placed <= t <= end)
