"""File identity per source: "landed before" is decided per (source, content), not per content."""

from __future__ import annotations

import textwrap

from conftest import AS_OF, rows

from sources.mapping import load_mapping
from tasks.extract import FEEDS, extract_new_input
from tasks.land import land_files

MAPPING = """\
sources:
  - name: parcels
    table: shipments
    files: orders.csv
    columns: {shipment_id: order, order_id: order, carrier: {value: correios}, tracking_number: tracking,
              shipped_at: handed_over}
  - name: hand-overs
    table: tracking_events
    files: orders.csv
    columns: {carrier: {value: correios}, tracking_number: tracking, event_at: handed_over,
              status: {value: picked_up}}
"""


def land_all(con, mapping) -> dict[str, int]:
    return {feed: land_files(con, extract_new_input(con, mapping, feed), "run", AS_OF) for feed in FEEDS}


def test_one_file_feeding_two_sources_lands_for_both_once(warehouse, tmp_path):
    (tmp_path / "orders.csv").write_text("order,tracking,handed_over\nA,AA123456789BR,2026-11-20T12:00:00Z\n")
    (tmp_path / "mapping.yaml").write_text(textwrap.dedent(MAPPING))
    mapping = load_mapping(tmp_path / "mapping.yaml")

    assert land_all(warehouse, mapping) == {"orders": 0, "stock": 1, "carrier": 1}
    assert rows(warehouse, "select shipment_id, tracking_number from raw.shipments") == [("A", "AA123456789BR")]
    events = rows(warehouse, "select tracking_number, status from raw.tracking_events")
    assert events == [("AA123456789BR", "picked_up")]
    batches = rows(warehouse, "select source, rows_in from audit.batches order by 1")
    assert batches == [("hand-overs", 1), ("parcels", 1)]

    # the same content again: landed before by each source, so by neither
    assert land_all(warehouse, mapping) == {"orders": 0, "stock": 0, "carrier": 0}
    assert rows(warehouse, "select count(*) from audit.batches") == [(2,)]
    assert rows(warehouse, "select count(*) from raw.tracking_events") == [(1,)]
