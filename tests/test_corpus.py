"""The adversarial corpus (tests/corpus/manifest.yaml), through both source paths.

Each case's file lands into one warehouse per path, with the extract and land functions the
flow's tasks call, on a real DuckDB. Rows are counted from the file itself, never from the
audit tables: rows in = rows loaded + rows quarantined. Staging is rebuilt after every case
and after the case's fix (the table's clean file written over it), so a value that slipped
into raw.* and broke a cast would fail every case after it: nothing may wedge.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from conftest import rows

from sources.canonical import TABLES
from sources.mapping import Mapping, builtin_mapping, load_mapping
from sources.quarantine import RejectionThresholdExceeded
from tasks.extract import extract_new_input
from tasks.land import land_files
from warehouse.database import STAGING_MODELS, connect, migrate, run_model, set_variables

CORPUS = Path(__file__).parent / "corpus"
CASES = yaml.safe_load((CORPUS / "manifest.yaml").read_text())["cases"]
NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)  # staging as of: every landed row is known

# Where each table's file goes in the canonical folder (sources/canonical_feeds.yaml globs).
PLACE = {
    "orders": "orders/{kind}-page-0001.json", "tracking_events": "carrier/{kind}-tracking_events.jsonl",
    "carrier_invoices": "carrier/{kind}-carrier_invoices.csv",
} | {table: f"stock/{{kind}}-{table}.csv" for table in
     ("skus", "allocations", "stock_snapshots", "stock_movements", "shipments", "shipment_lines")}


def case_bytes(relative: str, kind: str) -> bytes:
    return (CORPUS / "files" / relative).read_bytes().replace(b"@", kind.encode())


def rows_in_file(data: bytes, relative: str, case: dict) -> int:
    """Input rows counted from the file, independently of the readers under test."""
    if "rows" in case:
        return case["rows"]
    if "rejected" in case:
        return 1  # a file that cannot be read counts as one row
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff")
    if relative.endswith(".json"):
        return len(json.loads(text)["orders"])
    lines = [line for line in io.StringIO(text, newline="") if line.strip()]
    return len(lines) - 1 if relative.endswith(".csv") and lines else len(lines)


# The staging models a file of each table feeds (an orders page fills three tables; shipment
# lines are staged with their shipments): rebuilt after each case, the rest at the end.
STAGED_WITH = {"orders": ("orders", "order_lines", "payments"), "shipments": ("shipments", "shipment_lines"),
               "shipment_lines": ("shipments", "shipment_lines")}


def build_staging(con, tables: tuple[str, ...] = STAGING_MODELS) -> None:
    set_variables(con, {"as_of": FAR_FUTURE})
    for model in STAGING_MODELS:
        if model in tables:
            run_model(con, "staging", model)


def land(con, mapping: Mapping, feed: str) -> list:
    extracted = extract_new_input(con, mapping, feed)
    land_files(con, extracted, "corpus", NOW)
    return extracted


@pytest.fixture(scope="module", params=["canonical", "mapped"])
def path(request, tmp_path_factory):
    """One warehouse and one source folder per path; the cases land into it one after another."""
    folder = tmp_path_factory.mktemp(request.param)
    if request.param == "canonical":
        mapping = builtin_mapping(folder)
    else:
        (folder / "mapping.yaml").write_text((CORPUS / "mapped.yaml").read_text())
        mapping = load_mapping(folder / "mapping.yaml")
    con = connect(":memory:")
    migrate(con, NOW)
    yield request.param, folder, mapping, con
    con.close()


def test_the_corpus_has_at_least_60_kinds_and_every_file():
    assert len({case["kind"] for case in CASES}) >= 60
    assert len(CASES) == len({case["file"] for case in CASES})
    on_disk = {str(p.relative_to(CORPUS / "files")) for p in (CORPUS / "files").rglob("*") if p.is_file()}
    assert on_disk == {case["file"] for case in CASES}
    for case in CASES:
        assert ("rejected" in case) != ("loaded" in case), case["kind"]


@pytest.mark.parametrize("case", CASES, ids=[case["file"] for case in CASES])
def test_case(path, case):
    name, folder, mapping, con = path
    table = case["file"].split("/")[0]
    feed = TABLES[table].feed
    kind = case["kind"]
    target = folder / PLACE[table].format(kind=kind)
    target.parent.mkdir(parents=True, exist_ok=True)
    data = case_bytes(case["file"], kind)
    target.write_bytes(data)

    extracted = land(con, mapping, feed)
    assert [str(file.path) for file in extracted] == [str(target)]
    loaded = rows(con, f"select count(distinct _row_number) from raw.{table} where _file = ?", str(target))[0][0]
    quarantined = rows(con, "select reason, _row_number, detail from raw.quarantine where _file = ?", str(target))
    assert rows_in_file(data, case["file"], case) == loaded + len(quarantined), "rows unaccounted for"
    reasons = Counter(reason for reason, _, _ in quarantined)
    if "rejected" in case:
        assert (loaded, dict(reasons)) == (0, {case["rejected"]: 1})
        assert [row_number for _, row_number, _ in quarantined] == [0]
        assert any("unreadable" in note for note in extracted[0].schema_drift)
    else:
        assert (loaded, dict(reasons)) == (case["loaded"], case.get("quarantined", {}))
        assert all(row_number > 0 and detail for _, row_number, detail in quarantined)
    if case.get("drift"):
        assert extracted[0].schema_drift

    # The fix: the table's clean file written over the bad one. It lands whole and staging builds.
    clean = next(c for c in CASES if c["file"] == f"{table}/clean.{case['file'].rsplit('.', 1)[1]}")
    fixed = case_bytes(clean["file"], f"{kind}-fixed-{name}")
    target.write_bytes(fixed)
    land(con, mapping, feed)
    build_staging(con, STAGED_WITH.get(table, (table,)))  # over the bad case's landed rows too: they must cast
    assert rows(con, f"select count(distinct _row_number) from raw.{table} where _file = ? and _batch_id in "
                     "(select batch_id from audit.batches where sha256 = ?)",
                str(target), hashlib.sha256(fixed).hexdigest())[0][0] == clean["loaded"]
    target.unlink()  # landed: later cases need not hash it again


def test_staging_builds_over_every_case_landed(path):
    """After all cases, every staging model builds over everything both paths landed."""
    _, _, _, con = path
    build_staging(con)
    assert rows(con, "select count(*) from staging.allocations")[0][0] > 0


def test_the_threshold_stops_a_run_without_wedging(tmp_path):
    """A mapped source's max_rejected_pct stops the run before anything lands; the fixed file then lands."""
    text = (CORPUS / "mapped.yaml").read_text().replace("max_rejected_pct: 100", "max_rejected_pct: 5")
    (tmp_path / "mapping.yaml").write_text(text)
    mapping = load_mapping(tmp_path / "mapping.yaml")
    con = connect(":memory:")
    migrate(con, NOW)
    target = tmp_path / "stock" / "x-allocations.csv"
    target.parent.mkdir()
    target.write_bytes(case_bytes("allocations/quantity_abc.csv", "abc"))
    with pytest.raises(RejectionThresholdExceeded, match="x-allocations.csv row 2: wrong_type: allocations|quantity"):
        land_files(con, extract_new_input(con, mapping, "stock"), "r1", NOW, mapping.max_rejected_pct)
    assert rows(con, "select count(*) from audit.batches") == [(0,)]
    target.write_bytes(case_bytes("allocations/clean.csv", "abc"))
    land_files(con, extract_new_input(con, mapping, "stock"), "r2", NOW, mapping.max_rejected_pct)
    build_staging(con)
    assert rows(con, "select count(*) from staging.allocations") == [(2,)]
    con.close()


def test_csv_counts_agree_with_the_csv_module():
    """The line-counting in rows_in_file agrees with a CSV parse on files without quoted line breaks."""
    for case in CASES:
        if case["file"].endswith(".csv") and "rows" not in case and case["kind"] not in ("stray_quote", "latin1_bytes"):
            text = case_bytes(case["file"], "k").decode("utf-8").lstrip("\ufeff")
            parsed = [r for r in csv.reader(io.StringIO(text, newline="")) if r]
            assert rows_in_file(text.encode(), case["file"], case) == max(len(parsed) - 1, 0), case["kind"]


@pytest.mark.parametrize("name", [None, "sku.csv"], ids=["missing", "renamed"])
def test_a_missing_or_renamed_file_lands_nothing_and_is_named(tmp_path, caplog, name):
    con = connect(":memory:")
    migrate(con, NOW)
    (tmp_path / "stock").mkdir()
    if name is not None:
        (tmp_path / "stock" / name).write_bytes(case_bytes("skus/clean.csv", "renamed"))
    with caplog.at_level("WARNING", logger="tasks.extract"):
        extracted = land(con, builtin_mapping(tmp_path), "stock")
    assert extracted == []
    assert "source skus: no files match stock/*skus.csv" in caplog.messages
    assert rows(con, "select count(*) from raw.skus") == [(0,)]
    con.close()
