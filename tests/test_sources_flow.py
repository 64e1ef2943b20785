"""The flow with source.kind mapped: new input lands, drift reaches the summary, the threshold stops the run."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import write_settings

from flows.hourly_reconciliation import hourly_reconciliation
from simulator import simulate
from sources.quarantine import RejectionThresholdExceeded

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
WINDOW_START = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def mapped_settings(folder: Path, mapping: Path) -> str:
    return write_settings(
        folder / "settings.yaml",
        warehouse={"path": folder / "warehouse.duckdb"},
        source={"kind": "mapped", "folder": folder, "mapping": mapping},
    )


def test_the_demo_folder_as_mapped_sources(tmp_path, prefect_server):
    feed = tmp_path / "feed"
    simulate(feed, start=WINDOW_START - timedelta(days=1), end=WINDOW_START + timedelta(hours=1), seed=3,
             orders_per_hour=6, anomaly_rate=0.05)
    shutil.copy(EXAMPLES / "canonical_feeds" / "mapping.yaml", feed / "mapping.yaml")
    skus = sorted((feed / "stock").glob("*skus.csv"))[0]
    lines = skus.read_text().splitlines()
    skus.write_text("\n".join([lines[0] + ",ean"] + [line + ",789" for line in lines[1:]]) + "\n")
    settings = mapped_settings(tmp_path, feed / "mapping.yaml")

    summary = hourly_reconciliation(window_start=WINDOW_START, settings_file=settings)
    assert summary.schema_drift == [f"skus: {skus.name}: new column 'ean'"]
    assert all(summary.rows_landed[feed_name] > 0 for feed_name in ("orders", "stock", "carrier"))
    assert sum(summary.exceptions.values()) > 0
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    assert con.execute(
        "select count(*) from audit.batches where rows_in <> rows_loaded + rows_rejected"
    ).fetchone() == (0,)
    assert con.execute("select sum(rows_rejected) from audit.batches").fetchone() == (
        con.execute("select count(*) from raw.quarantine").fetchone()[0],
    )
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
