"""A real flow run on a simulated back office, compared with the simulator's ground truth."""

from __future__ import annotations

import csv
import json
from collections import Counter
from datetime import UTC, datetime

import duckdb
import pytest
from conftest import write_settings

from expectations.catalog import all_checks
from flows.hourly_reconciliation import hourly_reconciliation

# (seed, window start): worlds ending after a weekend, across Carnival, on Good Friday,
# after Christmas and on a plain Thursday afternoon.
WORLDS = [
    (11, datetime(2026, 11, 23, 14, 0, tzinfo=UTC)),
    (23, datetime(2026, 2, 18, 15, 0, tzinfo=UTC)),
    (37, datetime(2026, 4, 3, 12, 0, tzinfo=UTC)),
    (41, datetime(2026, 12, 28, 16, 0, tzinfo=UTC)),
    (53, datetime(2026, 11, 26, 19, 0, tzinfo=UTC)),
]


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


@pytest.fixture(scope="module", params=WORLDS, ids=[f"seed{seed}" for seed, _ in WORLDS])
def demo_run(request, tmp_path_factory, prefect_server):
    seed, window_start = request.param
    folder = tmp_path_factory.mktemp(f"seed{seed}")
    settings = write_settings(
        folder / "settings.yaml",
        warehouse={"path": folder / "warehouse.duckdb"},
        source={"kind": "demo", "folder": folder / "feed"},
        demo={"seed": seed, "days": 3, "orders_per_hour": 10, "anomaly_rate": 0.03},
        ledger={"export_dir": folder / "exports"},
    )
    summary = hourly_reconciliation(window_start=window_start, settings_file=settings)
    return folder, summary


def test_exception_tables_match_the_ground_truth(demo_run):
    folder, summary = demo_run
    with (folder / "feed" / "ground_truth.csv").open() as f:
        truth = {(row["check_id"], row["entity_id"]) for row in csv.DictReader(f)}
    con = duckdb.connect(str(folder / "warehouse.duckdb"), read_only=True)
    found = set(con.execute("select check_id, entity_id from exceptions.current").fetchall())
    table = confusion(found, truth)
    print(f"\n{folder.name}: {'check':<28}{'TP':>5}{'FP':>5}{'FN':>5}")
    for check_id, (tp, fp, fn) in table.items():
        print(f"{'':<{len(folder.name) + 2}}{check_id:<28}{tp:>5}{fp:>5}{fn:>5}")
    assert all(tp > 0 for tp, _, _ in table.values()), "every check has injected cases"
    lookalikes = json.loads((folder / "feed" / "manifest.json").read_text())["counts"]["lookalikes"]
    assert min(lookalikes.values()) > 0, f"every clean look-alike occurs: {lookalikes}"
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
