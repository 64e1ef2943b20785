"""One full flow, two hours in a row, over a canonical folder with bad values: nothing wedges.

The corpus (test_corpus.py) lands each kind of bad input with the tasks' functions; this runs
the real hourly flow once per hour over a demo folder where some values were spoiled, then
over the same folder with the files fixed and the next hour's files added.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
from conftest import write_settings

from flows.hourly_reconciliation import hourly_reconciliation
from simulator import simulate

WINDOW_START = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)
SIMULATION = {"seed": 3, "orders_per_hour": 4, "anomaly_rate": 0.05}


def spoil(path: Path, column: str, value: str) -> str:
    """Put `value` in `column` of the file's first data row; returns the value it replaced."""
    lines = path.read_text().splitlines()
    header = lines[0].split(",")
    fields = lines[1].split(",")
    before, fields[header.index(column)] = fields[header.index(column)], value
    path.write_text("\n".join([lines[0], ",".join(fields), *lines[2:]]) + "\n")
    return before


def test_two_hourly_runs_over_bad_values_then_fixed_files(tmp_path, prefect_server):
    feed = tmp_path / "feed"
    simulate(feed, start=WINDOW_START - timedelta(days=1), end=WINDOW_START + timedelta(hours=1), **SIMULATION)
    spoiled = {
        sorted((feed / "stock").glob("*allocations.csv"))[-1]: ("quantity", "abc"),
        sorted((feed / "stock").glob("*stock_movements.csv"))[-1]: ("occurred_at", "2026-02-30T10:00:00Z"),
        sorted((feed / "stock").glob("*shipments.csv"))[-1]: ("shipped_at", "25:00"),
        sorted((feed / "carrier").glob("*carrier_invoices.csv"))[-1]: ("charged_amount", '"R$ 10,00"'),
    }
    for path, (column, value) in spoiled.items():
        spoil(path, column, value)
    settings = write_settings(
        tmp_path / "settings.yaml",
        warehouse={"path": tmp_path / "warehouse.duckdb"},
        source={"kind": "folder", "folder": feed},
    )

    first = hourly_reconciliation(window_start=WINDOW_START, settings_file=settings)
    assert first.published
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    quarantined = con.execute("select _file, _row_number, reason from raw.quarantine order by _file").fetchall()
    con.close()
    assert quarantined == sorted((str(path), 1, "wrong_type") for path in spoiled)

    # The next hour: the shop re-delivers the files fixed, and the hour's new files arrive.
    simulate(feed, start=WINDOW_START - timedelta(days=1), end=WINDOW_START + timedelta(hours=2), **SIMULATION)
    second = hourly_reconciliation(window_start=WINDOW_START + timedelta(hours=1), settings_file=settings)
    assert second.published
    assert second.rows_landed["stock"] > 0
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    assert con.execute("select status from audit.runs order by window_start").fetchall() == [
        ("completed",), ("completed",),
    ]
    # Every spoiled row reached staging in its fixed version.
    assert con.execute("select count(*) from raw.quarantine").fetchone() == (len(spoiled),)
    con.close()
