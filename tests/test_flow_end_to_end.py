"""A real flow run on a simulated back office, compared with the simulator's ground truth at the window end.

Both warehouse kinds: every world into a DuckDB file, and one world into a DuckLake whose catalog is
in a throw-away PostgreSQL (tests/postgres_server.py), checked by the same assertions.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import write_settings
from postgres_server import postgres_server  # noqa: F401  (the fixture)

from expectations.catalog import all_checks, load_catalog
from flows.hourly_reconciliation import hourly_reconciliation
from retaguarda.settings import load_settings
from simulator import open_at, read_truth
from warehouse.access import open_reader

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


# Every world on the embedded DuckDB file; the first also on a DuckLake (slower to set up).
RUNS = [(*world, "duckdb") for world in WORLDS] + [(*WORLDS[0], "ducklake")]


def warehouse_settings(kind: str, folder: Path, request) -> dict:
    if kind == "duckdb":
        return {"path": folder / "warehouse.duckdb"}
    server = request.getfixturevalue("postgres_server")
    catalog = server.create_database(folder.name.lower())
    return {"kind": "ducklake", "catalog": f"postgres:{catalog}", "data_path": str(folder / "lake") + "/",
            "metadata_schema": "shop"}


@pytest.fixture(scope="module", params=RUNS, ids=[f"seed{seed}-{kind}" for seed, _, kind in RUNS])
def demo_run(request, tmp_path_factory, prefect_server):
    seed, window_start, kind = request.param
    folder = tmp_path_factory.mktemp(f"seed{seed}{kind}")
    settings = write_settings(
        folder / "settings.yaml",
        warehouse=warehouse_settings(kind, folder, request),
        source={"kind": "demo", "folder": folder / "feed"},
        demo={"seed": seed, "days": 3, "orders_per_hour": 10, "anomaly_rate": 0.03},
        ledger={"export_dir": folder / "exports"},
    )
    summary = hourly_reconciliation(window_start=window_start, settings_file=settings)
    return folder, summary


def read_warehouse(folder: Path):
    """The warehouse itself, read-only, whichever kind the run's settings name."""
    return open_reader(load_settings(folder / "settings.yaml").warehouse.target)


def test_exception_tables_match_the_ground_truth(demo_run):
    folder, summary = demo_run
    truth = open_at(read_truth(folder / "feed" / "ground_truth.csv"), summary.window.end)
    con = read_warehouse(folder)
    found = set(con.execute("select check_id, entity_id from exceptions.current").fetchall())
    table = confusion(found, truth)
    print(f"\n{folder.name}: {'check':<28}{'TP':>5}{'FP':>5}{'FN':>5}")
    for check_id, (tp, fp, fn) in table.items():
        print(f"{'':<{len(folder.name) + 2}}{check_id:<28}{tp:>5}{fp:>5}{fn:>5}")
    assert len(truth) > 0, "the world has open problems at the window end"
    assert {c: (fp, fn) for c, (_, fp, fn) in table.items() if fp or fn} == {}
    # the run's own counts against the truth's, not against the table they were written to
    per_check = Counter(check_id for check_id, _ in truth)
    assert summary.exceptions == {check.id: per_check[check.id] for check in all_checks()}


def rows_in_file(path: Path) -> int:
    """Rows a feed file holds, counted from the file itself."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".json":
        return len(json.loads(text)["orders"])
    lines = [line for line in text.splitlines() if line.strip()]
    return len(lines) - (path.suffix == ".csv")


def test_run_is_audited_and_rows_add_up(demo_run):
    folder, summary = demo_run
    con = read_warehouse(folder)
    assert con.execute("select status, window_end from audit.runs").fetchall() == [("completed", summary.window.end)]
    batches = con.execute("select file, sha256, rows_in, rows_loaded, rows_rejected from audit.batches").fetchall()
    files = [p for p in sorted((folder / "feed").rglob("*")) if p.suffix in (".json", ".csv", ".jsonl")
             and p.name not in ("ground_truth.csv", "world.json")]
    landed = {Path(file): (rows_in, loaded, rejected) for file, _, rows_in, loaded, rejected in batches}
    shas = [sha for _, sha, _, _, _ in batches]
    assert len(shas) == len(set(shas)), "a file handed over again is landed once"
    # a file not landed is one handed over again: the same bytes as a file landed before
    skipped = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in files if p not in landed}
    assert set(skipped.values()) <= set(shas)
    assert {p: landed[p][0] for p in files if p in landed} == {p: rows_in_file(p) for p in files if p in landed}
    assert all(rejected == 0 and loaded == rows for rows, loaded, rejected in landed.values())
    validations = con.execute("select count(*), count(distinct suite) from audit.validations").fetchone()
    suites = load_catalog()
    assert validations == (len(all_checks()) + sum(len(suite.contract) for suite in suites), len(suites))


def test_history_was_handed_over_hour_by_hour(demo_run):
    folder, summary = demo_run
    pages = sorted((folder / "feed" / "orders").glob("*-page-0001.json"))
    first = datetime.strptime(pages[0].name[:10], "%Y%m%d%H").replace(tzinfo=UTC)
    assert summary.window.end - first == timedelta(days=3)
    assert len(pages) == 3 * 24
