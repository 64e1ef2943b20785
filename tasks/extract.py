"""Read the feed files into polars frames, one frame per canonical raw table."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

# canonical raw table -> (feed, file pattern under the source folder, format)
FEED_FILES: dict[str, tuple[str, str, str]] = {
    "orders": ("orders", "orders/page-*.json", "order_pages"),
    "skus": ("stock", "stock/skus.csv", "csv"),
    "allocations": ("stock", "stock/allocations.csv", "csv"),
    "stock_snapshots": ("stock", "stock/stock_snapshots.csv", "csv"),
    "stock_movements": ("stock", "stock/stock_movements.csv", "csv"),
    "shipments": ("stock", "stock/shipments.csv", "csv"),
    "shipment_lines": ("stock", "stock/shipment_lines.csv", "csv"),
    "tracking_events": ("carrier", "carrier/tracking_events.jsonl", "jsonl"),
    "carrier_invoices": ("carrier", "carrier/carrier_invoices.csv", "csv"),
}
FEEDS = ("orders", "stock", "carrier")


class FeedError(ValueError):
    """A feed file that cannot be read; the message names the file."""


@dataclass(frozen=True)
class ExtractedFile:
    feed: str
    path: Path
    sha256: str
    rows_in: int
    tables: dict[str, pl.DataFrame]  # raw table -> rows, every value as text


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def _frame(rows: list[dict], columns: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {column: [_text(row.get(column)) for row in rows] for column in columns},
        schema={column: pl.String for column in columns},
    )


ORDER_COLUMNS = [
    "order_id", "channel", "customer_id", "placed_at", "status", "currency",
    "shipping_amount", "discount_amount", "total_amount", "promised_ship_by",
    "promised_delivery_by", "ship_to_country", "ship_to_region", "ship_to_postcode",
    "cancelled_at", "updated_at",
]
LINE_COLUMNS = ["order_id", "order_updated_at", "line_no", "sku", "quantity", "unit_price"]
PAYMENT_COLUMNS = [
    "payment_id", "order_id", "order_updated_at", "kind", "amount", "currency", "occurred_at",
]


def read_order_page(path: Path) -> tuple[int, dict[str, pl.DataFrame]]:
    """Flatten one API page: orders with their nested ship_to, lines and payments."""
    try:
        page = json.loads(path.read_bytes())
        orders = page["orders"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise FeedError(f"{path}: not an orders page ({exc})") from exc
    order_rows, line_rows, payment_rows = [], [], []
    for order in orders:
        ship_to = order.get("ship_to") or {}
        order_rows.append({**order, **{f"ship_to_{k}": v for k, v in ship_to.items()}})
        version = {"order_id": order.get("order_id"), "order_updated_at": order.get("updated_at")}
        line_rows += [{**line, **version} for line in order.get("lines") or []]
        payment_rows += [{**payment, **version} for payment in order.get("payments") or []]
    return len(orders), {
        "orders": _frame(order_rows, ORDER_COLUMNS),
        "order_lines": _frame(line_rows, LINE_COLUMNS),
        "payments": _frame(payment_rows, PAYMENT_COLUMNS),
    }


def read_csv(path: Path) -> pl.DataFrame:
    try:
        return pl.read_csv(path, infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise FeedError(f"{path}: cannot read CSV ({exc})") from exc


def read_jsonl(path: Path) -> pl.DataFrame:
    rows = []
    with path.open("rb") as lines:
        for number, line in enumerate(lines, start=1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise FeedError(f"{path}:{number}: not JSON ({exc})") from exc
    columns = sorted({key for row in rows for key in row})
    return _frame(rows, columns)


def extract_file(table: str, path: Path) -> ExtractedFile:
    feed, _, kind = FEED_FILES[table]
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if kind == "order_pages":
        rows_in, tables = read_order_page(path)
    else:
        frame = read_csv(path) if kind == "csv" else read_jsonl(path)
        rows_in, tables = frame.height, {table: frame}
    return ExtractedFile(feed=feed, path=path, sha256=digest, rows_in=rows_in, tables=tables)


def feed_files(folder: Path, feed: str) -> list[tuple[str, Path]]:
    """(raw table, file) pairs of one feed present under the source folder, in name order."""
    found = []
    for table, (table_feed, pattern, _) in FEED_FILES.items():
        if table_feed == feed:
            found += [(table, path) for path in sorted(folder.glob(pattern))]
    return found
