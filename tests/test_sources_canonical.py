"""The built-in mapping reads the canonical feed folder of docs/feeds.md (source.kind demo and folder)."""

from __future__ import annotations

import csv
import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import AS_OF, rows

from simulator import simulate
from sources import feeds_doc
from sources.canonical import ORDER_CHILDREN, TABLES
from sources.mapping import builtin_mapping
from tasks.extract import FEEDS, extract_folder, extract_new_input
from tasks.land import land_files
from warehouse.database import connect, migrate

END = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("feed")
    simulate(folder, start=END - timedelta(days=1), end=END, seed=5, orders_per_hour=6, anomaly_rate=0.05)
    return folder


@pytest.fixture(scope="module")
def landed(demo_folder):
    con = connect(":memory:")
    migrate(con, END)
    mapping = builtin_mapping(demo_folder)
    drift = []
    for feed in FEEDS:
        extracted = extract_new_input(con, mapping, feed)
        drift += [note for file in extracted for note in file.schema_drift]
        land_files(con, extracted, "run-1", END, mapping.max_rejected_pct)
    yield con, drift
    con.close()


def test_every_canonical_table_has_a_source_in_the_builtin_mapping(tmp_path):
    mapping = builtin_mapping(tmp_path)
    filled = {source.table for source in mapping.spec.sources}
    filled |= {child for source in mapping.spec.sources for child in source.children()}
    assert filled == set(TABLES)
    assert {source.feed for source in mapping.spec.sources} == set(FEEDS)


def test_every_canonical_column_is_filled_from_the_demo_folder(landed):
    con, drift = landed
    assert drift == []
    empty = [
        f"{table}.{column}" for table, model in TABLES.items() for column in model.columns
        if rows(con, f"select count({column}) from raw.{table}") == [(0,)]
    ]
    assert empty == []


def _file_rows(folder: Path) -> dict[str, int]:
    """Rows per raw table, counted from the files themselves; a file delivered twice counts once."""
    counts = {table: 0 for table in TABLES}
    seen: set[bytes] = set()

    def new(path: Path) -> bool:
        data = path.read_bytes()
        fresh = data not in seen
        seen.add(data)
        return fresh

    for page in sorted(p for p in (folder / "orders").glob("*page-*.json") if new(p)):
        for order in json.loads(page.read_text())["orders"]:
            counts["orders"] += 1
            for table, field in ORDER_CHILDREN.items():
                counts[table] += len(order.get(field) or [])
    for path in sorted(p for sub in ("stock", "carrier") for p in (folder / sub).glob("*.csv") if new(p)):
        with path.open(newline="") as file:
            counts[path.stem.rpartition("-")[2]] += sum(1 for _ in csv.DictReader(file))
    counts["tracking_events"] = sum(
        1 for path in (folder / "carrier").glob("*tracking_events.jsonl") if new(path)
        for line in path.read_text().splitlines() if line.strip()
    )
    return counts


def test_the_demo_folder_lands_whole_with_nothing_quarantined(landed, demo_folder):
    con, _ = landed
    assert rows(con, "select count(*) from raw.quarantine") == [(0,)]
    assert {table: rows(con, f"select count(*) from raw.{table}")[0][0] for table in TABLES} == _file_rows(demo_folder)
    assert rows(con, "select count(*) from audit.batches where rows_in <> rows_loaded + rows_rejected") == [(0,)]


def test_a_bad_value_in_the_canonical_folder_is_quarantined_with_file_and_row(warehouse, tmp_path):
    (tmp_path / "stock").mkdir()
    skus = tmp_path / "stock" / "skus.csv"
    skus.write_text("sku,description,unit_weight_kg,reorder_point\nSKU-1,Caneca,0.350,4\nSKU-2,Prato,heavy,4\n")
    extracted = list(extract_folder(tmp_path, "stock"))
    assert land_files(warehouse, extracted, "run-1", AS_OF) == 1
    assert rows(warehouse, "select sku, _source, _row_number from raw.skus") == [("SKU-1", "skus", 1)]
    assert rows(warehouse, "select table_name, reason, _file, _row_number from raw.quarantine") == [
        ("skus", "wrong_type", str(skus), 2),
    ]


def test_an_unreadable_orders_page_is_quarantined_instead_of_failing(warehouse, tmp_path):
    (tmp_path / "orders").mkdir()
    page = tmp_path / "orders" / "page-0001.json"
    page.write_text('{"page": 1, "orders": [')
    land_files(warehouse, list(extract_folder(tmp_path, "orders")), "run-1", AS_OF)
    assert rows(warehouse, "select table_name, _file, _row_number from raw.quarantine") == [
        ("orders", str(page), 0),
    ]
    assert rows(warehouse, "select rows_in, rows_loaded, rows_rejected from audit.batches") == [(1, 0, 1)]


def test_a_missing_source_folder_fails_naming_it(warehouse, tmp_path):
    with pytest.raises(FileNotFoundError, match=str(tmp_path / "nowhere")):
        extract_new_input(warehouse, builtin_mapping(tmp_path / "nowhere"), "stock")


def test_docs_feeds_md_is_generated_from_the_model():
    text = feeds_doc.DOC.read_text()
    assert feeds_doc.updated(text) == text, "docs/feeds.md is stale: run uv run python -m sources.feeds_doc"
    for table, model in TABLES.items():
        for values in model.allowed.values():
            assert ", ".join(f"`{value}`" for value in values) in text, table


def test_each_value_set_is_written_once_in_the_product():
    """The enums live in sources/canonical.py; suites, SQL and docs refer to them or are generated."""
    root = Path(__file__).resolve().parent.parent
    value_sets = [values for model in TABLES.values() for values in model.allowed.values()]
    # A value set written out: its values in a row, separated by commas, quoted or not.
    written_out = [re.compile(r"[\"'`]?\s*,\s*[\"'`]?".join(map(re.escape, values))) for values in value_sets]
    found = [
        path.relative_to(root).as_posix()
        for folder in ("sources", "expectations", "warehouse", "tasks", "retaguarda", "report", "flows")
        for path in sorted((root / folder).rglob("*")) if path.suffix in (".py", ".sql", ".yaml")
        for pattern in written_out if pattern.search(path.read_text())
    ]
    assert found == ["sources/canonical.py"] * len(value_sets)
