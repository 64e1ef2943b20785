"""The flow reads input through a mapping: new input lands, drift reaches the summary, the threshold stops the run."""

from __future__ import annotations

import csv
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
import yaml
from conftest import write_settings

from flows.hourly_reconciliation import hourly_reconciliation
from simulator import simulate
from sources.mapping import BUILTIN_MAPPING
from sources.quarantine import RejectionThresholdExceeded

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
WINDOW_START = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def records_in(path: Path) -> int:
    """Records in a feed file, read without the pipeline's readers: an orders page's orders,
    a JSON-lines file's non-blank lines, a CSV file's data rows."""
    if path.suffix == ".json":
        return len(json.loads(path.read_text())["orders"])
    if path.suffix == ".jsonl":
        return sum(1 for line in path.read_text().splitlines() if line.strip())
    with path.open(newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


def mapped_settings(folder: Path, mapping: Path) -> str:
    return write_settings(
        folder / "settings.yaml",
        warehouse={"path": folder / "warehouse.duckdb"},
        source={"kind": "mapped", "folder": folder, "mapping": mapping},
    )


def test_the_canonical_folder_through_the_builtin_mapping(tmp_path, prefect_server):
    feed = tmp_path / "feed"
    simulate(feed, start=WINDOW_START - timedelta(days=1), end=WINDOW_START + timedelta(hours=1), seed=3,
             orders_per_hour=6, anomaly_rate=0.05)
    skus = sorted((feed / "stock").glob("*skus.csv"))[0]
    lines = skus.read_text().splitlines()
    skus.write_text("\n".join([lines[0] + ",ean"] + [line + ",789" for line in lines[1:]]) + "\n")
    settings = write_settings(
        tmp_path / "settings.yaml",
        warehouse={"path": tmp_path / "warehouse.duckdb"},
        source={"kind": "folder", "folder": feed},
    )

    summary = hourly_reconciliation(window_start=WINDOW_START, settings_file=settings)
    assert summary.schema_drift == [f"skus: {skus.name}: new column 'ean'"]
    assert all(summary.rows_landed[feed_name] > 0 for feed_name in ("orders", "stock", "carrier"))
    assert sum(summary.exceptions.values()) > 0
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    tables = {s["name"]: s["table"] for s in yaml.safe_load(BUILTIN_MAPPING.read_text())["sources"]}
    batches = con.execute(
        "select batch_id, source, file, rows_in, rows_loaded, rows_rejected from audit.batches order by file"
    ).fetchall()
    assert {source for _, source, *_ in batches} >= {"skus", "tracking_events"}
    for batch_id, source, file, rows_in, rows_loaded, rows_rejected in batches:
        # rows in, counted from the file itself; loaded and rejected, from where they landed
        in_file = records_in(Path(file))
        in_raw = con.execute(
            f"select count(*) from raw.{tables[source]} where _batch_id = ?", [batch_id]
        ).fetchone()[0]
        in_quarantine = con.execute(
            "select count(*) from raw.quarantine where _batch_id = ?", [batch_id]
        ).fetchone()[0]
        assert (rows_in, rows_loaded, rows_rejected) == (in_file, in_raw, in_quarantine), file
        assert in_file == in_raw + in_quarantine, file  # nothing lost
    con.close()

    again = hourly_reconciliation(window_start=WINDOW_START, settings_file=settings)
    assert again.rows_landed == {"orders": 0, "stock": 0, "carrier": 0}  # every file was landed before
    assert again.schema_drift == []


def test_too_many_bad_rows_fail_the_run_before_landing(tmp_path, prefect_server):
    export = tmp_path / "export"
    shutil.copytree(EXAMPLES / "shop_export", export)
    mapping = export / "mapping.yaml"
    mapping.write_text(mapping.read_text().replace("max_rejected_pct: 25", "max_rejected_pct: 5"))
    settings = mapped_settings(tmp_path, mapping)
    with pytest.raises(RejectionThresholdExceeded, match="source loja-pedidos: 1 of 5 rows would be quarantined"):
        hourly_reconciliation(window_start=WINDOW_START, settings_file=settings)
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    assert con.execute("select status from audit.runs").fetchall() == [("failed",)]
    assert con.execute("select count(*) from audit.batches").fetchone() == (0,)
    con.close()


def test_a_broken_mapping_stops_the_run_naming_the_line(tmp_path, prefect_server):
    mapping = tmp_path / "mapping.yaml"
    mapping.write_text("sources:\n  - name: shop\n    table: pedidos\n    files: '*.csv'\n")
    with pytest.raises(Exception, match=f"{mapping}:3: sources.0.table: unknown table 'pedidos'"):
        hourly_reconciliation(window_start=WINDOW_START, settings_file=mapped_settings(tmp_path, mapping))
