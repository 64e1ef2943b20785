"""The canonical raw tables a mapping produces: columns, their canonical types, keys, allowed values.

raw.* stores every column as text; the type here is what staging casts it to, so a value
that will not convert is caught at extraction instead of failing the staging build.
"""

from __future__ import annotations

from dataclasses import dataclass, field

TEXT = "text"
TIMESTAMP = "timestamp"
INTEGER = "integer"  # DuckDB integer: 32 bits
MONEY = "decimal(18, 2)"
WEIGHT = "decimal(10, 3)"

ORDER_STATUSES = frozenset({
    "pending_payment", "paid", "partially_shipped", "shipped", "delivered", "closed", "cancelled", "returned",
})
PAYMENT_KINDS = frozenset({"capture", "refund"})
MOVEMENT_REASONS = frozenset({"receipt", "pick", "adjustment", "return"})
TRACKING_STATUSES = frozenset({
    "label_created", "picked_up", "in_transit", "out_for_delivery", "delivered", "failed_attempt",
    "exception", "returned_to_sender",
})


@dataclass(frozen=True)
class Table:
    feed: str
    columns: dict[str, str]  # column -> canonical type, in raw.* order
    key: tuple[str, ...]  # identifies one version of one entity; required in every row
    allowed: dict[str, frozenset[str]] = field(default_factory=dict)  # column -> canonical values


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
    ),
    "order_lines": Table(
        feed="orders",
        columns={
            "order_id": TEXT, "order_updated_at": TIMESTAMP, "line_no": INTEGER, "sku": TEXT,
            "quantity": INTEGER, "unit_price": MONEY,
        },
        key=("order_id", "order_updated_at", "line_no"),
    ),
    "payments": Table(
        feed="orders",
        columns={
            "payment_id": TEXT, "order_id": TEXT, "order_updated_at": TIMESTAMP, "kind": TEXT, "amount": MONEY,
            "currency": TEXT, "occurred_at": TIMESTAMP,
        },
        key=("payment_id", "order_updated_at"),
        allowed={"kind": PAYMENT_KINDS},
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
    ),
    "stock_snapshots": Table(
        feed="stock",
        columns={
            "snapshot_at": TIMESTAMP, "warehouse_id": TEXT, "sku": TEXT, "on_hand": INTEGER, "allocated": INTEGER,
        },
        key=("snapshot_at", "warehouse_id", "sku"),
    ),
    "stock_movements": Table(
        feed="stock",
        columns={
            "movement_id": TEXT, "occurred_at": TIMESTAMP, "warehouse_id": TEXT, "sku": TEXT,
            "quantity_delta": INTEGER, "reason": TEXT, "order_id": TEXT,
        },
        key=("movement_id",),
        allowed={"reason": MOVEMENT_REASONS},
    ),
    "shipments": Table(
        feed="stock",
        columns={
            "shipment_id": TEXT, "order_id": TEXT, "warehouse_id": TEXT, "carrier": TEXT, "tracking_number": TEXT,
            "shipped_at": TIMESTAMP, "declared_weight_kg": WEIGHT,
        },
        key=("shipment_id",),
    ),
    "shipment_lines": Table(
        feed="stock",
        columns={"shipment_id": TEXT, "sku": TEXT, "quantity": INTEGER},
        key=("shipment_id", "sku"),
    ),
    "tracking_events": Table(
        feed="carrier",
        columns={
            "carrier": TEXT, "tracking_number": TEXT, "event_at": TIMESTAMP, "status": TEXT, "location": TEXT,
        },
        key=("carrier", "tracking_number", "event_at", "status"),
        allowed={"status": TRACKING_STATUSES},
    ),
    "carrier_invoices": Table(
        feed="carrier",
        columns={
            "invoice_id": TEXT, "carrier": TEXT, "tracking_number": TEXT, "billed_weight_kg": WEIGHT,
            "charged_amount": MONEY, "service": TEXT, "invoiced_at": TIMESTAMP,
        },
        key=("invoice_id",),
    ),
}

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
