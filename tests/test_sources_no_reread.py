"""Nothing re-read: a file landed before, unchanged in size and mtime, is not opened again.

The proof does not count reads: it swaps an old file's content for other rows of the same
size and puts its mtime back. If extract opened the file it would land those rows.
"""

from __future__ import annotations

import os
import textwrap
from pathlib import Path

from conftest import AS_OF, rows

from sources.mapping import load_mapping
from tasks.extract import FEEDS, extract_new_input
from tasks.land import land_files

MAPPING = """\
sources:
  - name: parcels
    table: shipments
    files: "orders-*.csv"
    columns: {shipment_id: order, order_id: order, carrier: {value: correios}, tracking_number: tracking,
              shipped_at: handed_over}
"""
HEADER = "order,tracking,handed_over\n"
PAST_NS = 1_700_000_000 * 10**9  # long before the run: not a file still being written


def write(path: Path, order: str, mtime_ns: int = PAST_NS) -> None:
    path.write_text(f"{HEADER}{order},{order * 2}123456789BR,2026-11-20T12:00:00Z\n")
    os.utime(path, ns=(mtime_ns, mtime_ns))


def land_all(con, mapping) -> int:
    return sum(land_files(con, extract_new_input(con, mapping, feed), "run", AS_OF) for feed in FEEDS)


def shipments(con) -> list[str]:
    return [row[0] for row in rows(con, "select shipment_id from raw.shipments order by 1")]


def setup(tmp_path: Path):
    (tmp_path / "mapping.yaml").write_text(textwrap.dedent(MAPPING))
    write(tmp_path / "orders-1.csv", "A")
    write(tmp_path / "orders-2.csv", "B")
    return load_mapping(tmp_path / "mapping.yaml")


def test_an_unchanged_file_is_not_opened_and_a_changed_mtime_reads_it_again(warehouse, tmp_path):
    mapping = setup(tmp_path)
    assert land_all(warehouse, mapping) == 2
    # other rows, same size, mtime put back: only a read of the file could see them
    old = tmp_path / "orders-1.csv"
    size = old.stat().st_size
    write(old, "Z")
    assert old.stat().st_size == size
    assert land_all(warehouse, mapping) == 0
    assert shipments(warehouse) == ["A", "B"]
    assert rows(warehouse, "select count(*) from raw.quarantine") == [(0,)]

    os.utime(old, ns=(PAST_NS + 10**9, PAST_NS + 10**9))  # now it looks changed: hashed, and new content
    assert land_all(warehouse, mapping) == 1
    assert shipments(warehouse) == ["A", "B", "Z"]


def test_a_touched_but_identical_file_is_not_landed_twice(warehouse, tmp_path):
    mapping = setup(tmp_path)
    land_all(warehouse, mapping)
    touched = tmp_path / "orders-2.csv"
    os.utime(touched, ns=(PAST_NS + 5 * 10**9, PAST_NS + 5 * 10**9))
    assert land_all(warehouse, mapping) == 0
    assert rows(warehouse, "select count(*) from audit.batches") == [(2,)]
    # the new mtime is remembered, so the next run trusts it without reading
    remembered = rows(warehouse, "select mtime_ns from audit.file_hashes where path = ?", str(touched.absolute()))
    assert remembered == [(touched.stat().st_mtime_ns,)]


def test_a_new_file_lands_and_the_old_ones_stay_unread(warehouse, tmp_path):
    mapping = setup(tmp_path)
    land_all(warehouse, mapping)
    write(tmp_path / "orders-1.csv", "Y")  # same size and mtime: must stay unread
    write(tmp_path / "orders-3.csv", "C")
    assert land_all(warehouse, mapping) == 1
    assert shipments(warehouse) == ["A", "B", "C"]


def test_a_file_written_just_now_is_hashed_again_next_run(warehouse, tmp_path):
    mapping = setup(tmp_path)
    fresh = tmp_path / "orders-3.csv"
    fresh.write_text(f"{HEADER}C,CC123456789BR,2026-11-20T12:00:00Z\n")  # mtime: now
    assert land_all(warehouse, mapping) == 3
    hashed = {row[0] for row in rows(warehouse, "select path from audit.file_hashes")}
    assert hashed == {str((tmp_path / name).absolute()) for name in ("orders-1.csv", "orders-2.csv")}


SELECT_MAPPING = """\
sources:
  - name: hand-overs
    files: "orders-*.csv"
    columns: [order, tracking, handed_over]
  - name: parcels
    table: shipments
    select: |
      select "order" as shipment_id, "order" as order_id, 'correios' as carrier, tracking as tracking_number,
             handed_over as shipped_at, _file, _row_number
      from "hand-overs"
"""


def test_a_select_over_unchanged_inputs_opens_none_of_them(warehouse, tmp_path):
    (tmp_path / "mapping.yaml").write_text(textwrap.dedent(SELECT_MAPPING))
    write(tmp_path / "orders-1.csv", "A")
    mapping = load_mapping(tmp_path / "mapping.yaml")
    assert land_all(warehouse, mapping) == 1
    write(tmp_path / "orders-1.csv", "Z")  # same size, same mtime
    assert land_all(warehouse, mapping) == 0
    assert shipments(warehouse) == ["A"]
    os.utime(tmp_path / "orders-1.csv", ns=(PAST_NS + 10**9, PAST_NS + 10**9))
    assert land_all(warehouse, mapping) == 1
    assert shipments(warehouse) == ["A", "Z"]
