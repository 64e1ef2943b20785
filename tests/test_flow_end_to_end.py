"""A real flow run on a simulated back office, compared with the simulator's ground truth."""

from __future__ import annotations

import csv
from collections import Counter
from datetime import UTC, datetime

import duckdb
import pytest
from conftest import write_settings

from expectations.catalog import all_checks
from flows.hourly_reconciliation import hourly_reconciliation

# Monday 11:00 in Sao Paulo: the demo's three days include a weekend.
WINDOW_START = datetime(2026, 11, 23, 14, 0, tzinfo=UTC)


def confusion(found: set[tuple[str, str]], truth: set[tuple[str, str]]) -> dict[str, tuple[int, int, int]]:
    """check id -> (true positives, false positives, false negatives)."""
    return {
        check.id: (
            len({e for c, e in found & truth if c == check.id}),
            len({e for c, e in found - truth if c == check.id}),
            len({e for c, e in truth - found if c == check.id}),
        )
        for check in all_checks()
    }


@pytest.fixture(scope="module")
def demo_run(tmp_path_factory, prefect_server):
    folder = tmp_path_factory.mktemp("run")
    settings = write_settings(
        folder / "settings.yaml",
        warehouse={"path": folder / "warehouse.duckdb"},
        source={"kind": "demo", "folder": folder / "feed"},
        demo={"seed": 11, "days": 3, "orders_per_hour": 10, "anomaly_rate": 0.03},
    )
    summary = hourly_reconciliation(window_start=WINDOW_START, settings_file=settings)
    return folder, summary


def test_exception_tables_match_the_ground_truth(demo_run):
    folder, summary = demo_run
    with (folder / "feed" / "ground_truth.csv").open() as f:
        truth = {(row["check_id"], row["entity_id"]) for row in csv.DictReader(f)}
    con = duckdb.connect(str(folder / "warehouse.duckdb"), read_only=True)
    found = set(con.execute("select check_id, entity_id from exceptions.current").fetchall())
    table = confusion(found, truth)
    print(f"\n{'check':<28}{'TP':>5}{'FP':>5}{'FN':>5}")
    for check_id, (tp, fp, fn) in table.items():
        print(f"{check_id:<28}{tp:>5}{fp:>5}{fn:>5}")
    assert all(tp > 0 for tp, _, _ in table.values()), "every check has injected cases"
    assert {c: (fp, fn) for c, (_, fp, fn) in table.items() if fp or fn} == {}
    per_check = Counter(check_id for check_id, _ in found)
    assert summary.exceptions == {check.id: per_check[check.id] for check in all_checks()}


def test_run_is_audited_and_rows_add_up(demo_run):
    folder, summary = demo_run
    con = duckdb.connect(str(folder / "warehouse.duckdb"), read_only=True)
    assert con.execute("select status, window_end from audit.runs").fetchall() == [("completed", summary.window.end)]
    assert con.execute(
        "select count(*) from audit.batches where rows_in <> rows_loaded + rows_rejected"
    ).fetchone()[0] == 0
    validations = con.execute("select count(*), count(distinct suite) from audit.validations").fetchone()
    assert validations == (len(summary.validations), 9)
