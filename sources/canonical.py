"""The canonical model: the raw tables, their columns and types, keys, versions and allowed values.

The one definition of the canonical tables and their enums. From it come the raw tables'
DDL and the staging casts and dedup (warehouse/database.py), the GX contract value sets
(`value_set: canonical:<table>.<column>` in expectations/*.yaml), the mapping checks and
the tables of docs/feeds.md (sources/feeds_doc.py).

raw.* stores every column as text; the type here is what staging casts it to (SQL_TYPES),
and landing tries the same cast first, so a value that will not convert is quarantined at
landing instead of failing the staging build. A row lacking a key, a `needed` column or a
`known_at` column is quarantined too: staging would drop it, or every check would skip it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TEXT = "text"
TIMESTAMP = "timestamp"
INTEGER = "integer"  # DuckDB integer: 32 bits
MONEY = "decimal(18, 2)"
WEIGHT = "decimal(10, 3)"
# Canonical type -> the DuckDB type staging casts the raw text to (text stays as is). Landing
# tries the same casts (sources/casts.py), so staging can never fail on a landed value.
SQL_TYPES = {TEXT: None, TIMESTAMP: "timestamptz", INTEGER: "integer", MONEY: MONEY, WEIGHT: WEIGHT}

# The enums, in lifecycle order.
ORDER_STATUSES = (
    "pending_payment", "paid", "partially_shipped", "shipped", "delivered", "closed", "cancelled", "returned",
)
PAYMENT_KINDS = ("capture", "refund")
MOVEMENT_REASONS = ("receipt", "pick", "adjustment", "return")
TRACKING_STATUSES = (
    "label_created", "picked_up", "in_transit", "out_for_delivery", "delivered", "failed_attempt",
    "exception", "returned_to_sender",
)


@dataclass(frozen=True)
class Table:
    feed: str
    columns: dict[str, str]  # column -> canonical type, in raw.* order
    key: tuple[str, ...]  # identifies one version of one entity; required in every row
    allowed: dict[str, tuple[str, ...]] = field(default_factory=dict)  # column -> canonical values
    # Staging keeps one row per `entity` (default: the key): among the rows known at as_of
    # (every `known_at` column <= as_of), the latest by `version`, then the last landed.
    entity: tuple[str, ...] = ()
    version: tuple[str, ...] = ()
    known_at: tuple[str, ...] = ()
    # Timestamp columns holding a deadline: a date-only value means the end of that day, not
    # its start, so "deliver by 2018-03-12" is kept by a delivery at 23:59 that day.
    end_of_day: tuple[str, ...] = ()
    # Non-key columns the checks cannot do without: a row where one is empty is quarantined
    # (missing_required) at landing rather than dropped or misjudged downstream.
    needed: tuple[str, ...] = ()

    @property
    def entity_columns(self) -> tuple[str, ...]:
        return self.entity or self.key

    @property
    def required(self) -> tuple[str, ...]:
        """Columns every row must have: the key, the needed columns, and what known_at compares."""
        return tuple(dict.fromkeys((*self.key, *self.needed, *self.known_at)))


TABLES: dict[str, Table] = {
    "orders": Table(
        feed="orders",
        columns={
            "order_id": TEXT, "channel": TEXT, "customer_id": TEXT, "placed_at": TIMESTAMP, "status": TEXT,
            "currency": TEXT, "shipping_amount": MONEY, "discount_amount": MONEY, "total_amount": MONEY,
            "promised_ship_by": TIMESTAMP, "promised_delivery_by": TIMESTAMP, "ship_to_country": TEXT,
            "ship_to_region": TEXT, "ship_to_postcode": TEXT, "cancelled_at": TIMESTAMP, "updated_at": TIMESTAMP,
        },
        key=("order_id", "updated_at"),
        allowed={"status": ORDER_STATUSES},
        entity=("order_id",), version=("updated_at",), known_at=("updated_at",),
        end_of_day=("promised_ship_by", "promised_delivery_by"),
        needed=("placed_at", "status"),
    ),
    "order_lines": Table(
        feed="orders",
        columns={
            "order_id": TEXT, "order_updated_at": TIMESTAMP, "line_no": INTEGER, "sku": TEXT,
            "quantity": INTEGER, "unit_price": MONEY,
        },
        key=("order_id", "order_updated_at", "line_no"),
        needed=("sku", "quantity", "unit_price"),
    ),
    "payments": Table(
        feed="orders",
        columns={
            "payment_id": TEXT, "order_id": TEXT, "order_updated_at": TIMESTAMP, "kind": TEXT, "amount": MONEY,
            "currency": TEXT, "occurred_at": TIMESTAMP,
        },
        key=("payment_id", "order_updated_at"),
        allowed={"kind": PAYMENT_KINDS},
        entity=("payment_id",), version=("order_updated_at",), known_at=("occurred_at", "order_updated_at"),
        needed=("order_id", "kind", "amount"),
    ),
    "skus": Table(
        feed="stock",
        columns={"sku": TEXT, "description": TEXT, "unit_weight_kg": WEIGHT, "reorder_point": INTEGER},
        key=("sku",),
    ),
    "allocations": Table(
        feed="stock",
        columns={
            "allocation_id": TEXT, "order_id": TEXT, "line_no": INTEGER, "sku": TEXT, "warehouse_id": TEXT,
            "quantity": INTEGER, "allocated_at": TIMESTAMP,
        },
        key=("allocation_id",),
        known_at=("allocated_at",),
        needed=("order_id", "sku", "quantity"),
    ),
    "stock_snapshots": Table(
        feed="stock",
        columns={
            "snapshot_at": TIMESTAMP, "warehouse_id": TEXT, "sku": TEXT, "on_hand": INTEGER, "allocated": INTEGER,
        },
        key=("snapshot_at", "warehouse_id", "sku"),
        known_at=("snapshot_at",),
        needed=("on_hand",),
    ),
    "stock_movements": Table(
        feed="stock",
        columns={
            "movement_id": TEXT, "occurred_at": TIMESTAMP, "warehouse_id": TEXT, "sku": TEXT,
            "quantity_delta": INTEGER, "reason": TEXT, "order_id": TEXT,
        },
        key=("movement_id",),
        allowed={"reason": MOVEMENT_REASONS},
        known_at=("occurred_at",),
        needed=("warehouse_id", "sku", "quantity_delta", "reason"),
    ),
    "shipments": Table(
        feed="stock",
        columns={
            "shipment_id": TEXT, "order_id": TEXT, "warehouse_id": TEXT, "carrier": TEXT, "tracking_number": TEXT,
            "shipped_at": TIMESTAMP, "declared_weight_kg": WEIGHT,
        },
        key=("shipment_id",),
        known_at=("shipped_at",),
        needed=("order_id",),
    ),
    "shipment_lines": Table(
        feed="stock",
        columns={"shipment_id": TEXT, "sku": TEXT, "quantity": INTEGER},
        key=("shipment_id", "sku"),
        needed=("quantity",),
    ),
    "tracking_events": Table(
        feed="carrier",
        columns={
            "carrier": TEXT, "tracking_number": TEXT, "event_at": TIMESTAMP, "status": TEXT, "location": TEXT,
        },
        key=("carrier", "tracking_number", "event_at", "status"),
        allowed={"status": TRACKING_STATUSES},
        known_at=("event_at",),
    ),
    "carrier_invoices": Table(
        feed="carrier",
        columns={
            "invoice_id": TEXT, "carrier": TEXT, "tracking_number": TEXT, "billed_weight_kg": WEIGHT,
            "charged_amount": MONEY, "service": TEXT, "invoiced_at": TIMESTAMP,
        },
        key=("invoice_id",),
        known_at=("invoiced_at",),
        needed=("tracking_number",),
    ),
}

# Feeds in landing order, each with the raw tables it fills.
FEEDS: tuple[str, ...] = tuple(dict.fromkeys(table.feed for table in TABLES.values()))

# Tables an order record may carry nested (docs/feeds.md), with the field that holds them
# and the columns they inherit from their order.
ORDER_CHILDREN: dict[str, str] = {"order_lines": "lines", "payments": "payments"}
INHERITED_FROM_ORDER: dict[str, str] = {"order_id": "order_id", "order_updated_at": "updated_at"}

# Where the docs/feeds.md order shape keeps a column when it is not a top-level field.
NESTED_DEFAULTS: dict[str, dict[str, str]] = {
    "orders": {
        "ship_to_country": "ship_to.country",
        "ship_to_region": "ship_to.region",
        "ship_to_postcode": "ship_to.postcode",
    },
}


def allowed_values(reference: str) -> list[str]:
    """The canonical values of `<table>.<column>`, e.g. orders.status (for the GX contracts)."""
    table, _, column = reference.partition(".")
    if table not in TABLES or column not in TABLES[table].allowed:
        known = [f"{t}.{c}" for t, model in TABLES.items() for c in model.allowed]
        raise KeyError(f"no canonical value set {reference!r}; known: {', '.join(known)}")
    return list(TABLES[table].allowed[column])
