"""Read the feed files into polars frames, one frame per canonical raw table.

Two kinds of input: the canonical folder of docs/feeds.md (source.kind demo or folder),
and the sources a mapping file describes (source.kind mapped, docs/sources.md).
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import duckdb
import polars as pl

from sources.batch import Batch, build_batch, latest
from sources.canonical import TABLES
from sources.http import fetch_pages, pull_sha256
from sources.mapping import Mapping, SourceMap
from sources.quarantine import Quarantined
from sources.readers import FileContent, json_values, read_records
from sources.state import already_landed, high_water_mark

log = logging.getLogger(__name__)

# canonical raw table -> (feed, file pattern under the source folder, format)
FEED_FILES: dict[str, tuple[str, str, str]] = {
    "orders": ("orders", "orders/*page-*.json", "order_pages"),
    "skus": ("stock", "stock/*skus.csv", "csv"),
    "allocations": ("stock", "stock/*allocations.csv", "csv"),
    "stock_snapshots": ("stock", "stock/*stock_snapshots.csv", "csv"),
    "stock_movements": ("stock", "stock/*stock_movements.csv", "csv"),
    "shipments": ("stock", "stock/*shipments.csv", "csv"),
    "shipment_lines": ("stock", "stock/*shipment_lines.csv", "csv"),
    "tracking_events": ("carrier", "carrier/*tracking_events.jsonl", "jsonl"),
    "carrier_invoices": ("carrier", "carrier/*carrier_invoices.csv", "csv"),
}
FEEDS = ("orders", "stock", "carrier")


class FeedError(ValueError):
    """A feed file that cannot be read; the message names the file."""


@dataclass(frozen=True)
class SourceCursor:
    """The high-water mark an API source reaches once this batch is landed."""

    source: str
    mark: datetime


@dataclass(frozen=True)
class ExtractedFile:
    feed: str
    path: Path | str  # a file, or the first page's URL for an API pull
    sha256: str
    rows_in: int
    tables: dict[str, pl.DataFrame]  # raw table -> rows, every value as text (mapped: with _row_number)
    source: str | None = None  # recorded as _source; default the feed
    quarantine: tuple[Quarantined, ...] = ()  # rows kept out of raw.*, with the reason
    schema_drift: tuple[str, ...] = ()  # sentences for the run summary
    cursor: SourceCursor | None = None

    @property
    def rows_rejected(self) -> int:
        return len(self.quarantine)

    @property
    def rows_loaded(self) -> int:
        return self.rows_in - self.rows_rejected


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value)


def _frame(rows: list[dict], columns: list[str]) -> pl.DataFrame:
    return pl.DataFrame(
        {column: [_text(row.get(column)) for row in rows] for column in columns},
        schema={column: pl.String for column in columns},
    )


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
        "orders": _frame(order_rows, list(TABLES["orders"].columns)),
        "order_lines": _frame(line_rows, list(TABLES["order_lines"].columns)),
        "payments": _frame(payment_rows, list(TABLES["payments"].columns)),
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


# --- mapped sources (docs/sources.md) ---------------------------------------------------


def _extracted(source: SourceMap, path: Path | str, sha256: str, batch: Batch, cursor=None) -> ExtractedFile:
    label = Path(path).name if isinstance(path, Path) else path
    return ExtractedFile(
        feed=source.feed, path=path, sha256=sha256, rows_in=batch.rows_in, tables=batch.tables,
        source=source.name, quarantine=tuple(batch.quarantine),
        schema_drift=tuple(f"{source.name}: {label}: {note}" for note in batch.drift), cursor=cursor,
    )


def extract_mapped_file(mapping: Mapping, source: SourceMap, path: Path, data: bytes | None = None) -> ExtractedFile:
    """One file of a mapped source: canonical rows, and the rows quarantined with their reason."""
    data = path.read_bytes() if data is None else data
    content = read_records(
        data, path.name, source.format_of(path),
        delimiter=source.delimiter, encoding=source.encoding, records_path=source.records,
    )
    batch = build_batch(source, mapping.spec.timezone, content)
    return _extracted(source, path, hashlib.sha256(data).hexdigest(), batch)


def extract_api(mapping: Mapping, source: SourceMap, mark: datetime | None) -> ExtractedFile:
    """One pull of an API source: the changes since the high-water mark, minus the lookback."""
    http = source.http
    incremental = http.incremental
    since = None
    if incremental is not None:
        start = datetime.fromisoformat(incremental.start) if incremental.start else None
        since = mark - timedelta(minutes=incremental.lookback_minutes) if mark else start
    pages = fetch_pages(http, since)
    content = FileContent([], [])
    for page in pages:
        page_content = json_values(list(enumerate(page.records, start=1)), file=page.url)
        content.records += page_content.records
        content.columns += [column for column in page_content.columns if column not in content.columns]
    batch = build_batch(source, mapping.spec.timezone, content)
    cursor = None
    if incremental is not None:
        reached = latest(batch.tables[source.table], incremental.column)
        if reached is not None and (mark is None or reached > mark):
            cursor = SourceCursor(source.name, reached)
    return _extracted(source, pages[0].url, pull_sha256(pages), batch, cursor)


def extract_mapped(
    mapping: Mapping, feed: str, *, landed: Callable[[str], bool], mark_of: Callable[[str], datetime | None]
) -> list[ExtractedFile]:
    """New input of one feed from every mapped source; files already landed are not read again."""
    extracted = []
    for source in mapping.sources_for(feed):
        if source.http is not None:
            extracted.append(extract_api(mapping, source, mark_of(source.name)))
            continue
        paths = mapping.files_of(source)
        if not paths:
            log.warning("source %s: no files match %s", source.name, ", ".join(source.patterns))
        for path in paths:
            data = path.read_bytes()
            if not landed(hashlib.sha256(data).hexdigest()):
                extracted.append(extract_mapped_file(mapping, source, path, data))
    return extracted


def extract_new_input(con: duckdb.DuckDBPyConnection, mapping: Mapping, feed: str) -> list[ExtractedFile]:
    """extract_mapped, with what the warehouse knows: files landed before, API high-water marks."""
    return extract_mapped(
        mapping, feed,
        landed=lambda sha256: already_landed(con, sha256),
        mark_of=lambda source: high_water_mark(con, source),
    )
