"""Readers and a run at once: each reader sees the old publication or the new one, whole, and
the run is never held up by a reader."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
from conftest import write_settings

from flows.hourly_reconciliation import hourly_reconciliation
from simulator import simulate
from tasks.ledger import ACTIVE
from warehouse.reader_copy import reader_copy_path

ROOT = Path(__file__).resolve().parent.parent
FEED_END = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)
WINDOW_A, WINDOW_B = FEED_END - timedelta(hours=4), FEED_END - timedelta(hours=1)

# One state of what readers read: the latest publication, a digest of the ledger, the active ids.
STATE_SQL = {
    "run_id": "select run_id from exceptions.publications order by as_of desc, published_at desc limit 1",
    "ledger": "select md5(string_agg(exception_id || status || last_seen_at::varchar, ',' order by exception_id)) "
              "from exceptions.ledger",
    "active": "select list(exception_id[:12] order by exception_id[:12]) from exceptions.ledger "
              "where list_contains(?, status)",
}

# Reads in a loop until told to stop: the state from one connection to the reader copy, then
# what `retaguarda exceptions` lists; one JSON line per round.
READER = """
import contextlib, io, json, os, sys
from retaguarda.cli import main
from warehouse.reader_copy import open_reader_copy
from pathlib import Path
settings, warehouse, stop, sql = sys.argv[1], Path(sys.argv[2]), Path(sys.argv[3]), json.loads(sys.argv[4])
active = json.loads(sys.argv[5])
print("ready", flush=True)
while not stop.exists():
    con = open_reader_copy(warehouse)
    state = {k: con.execute(q, [active] if "?" in q else []).fetchone()[0] for k, q in sql.items()}
    con.close()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = main(["--settings", settings, "exceptions", "--output", "json", "--limit", "100000"])
    listed = sorted(row["id"] for row in json.loads(out.getvalue())) if code == 0 else None
    print(json.dumps({"state": state, "code": code, "listed": listed}), flush=True)
"""


def state(path: Path) -> dict:
    con = duckdb.connect(str(path), read_only=True)
    try:
        return {k: con.execute(q, [list(ACTIVE)] if "?" in q else []).fetchone()[0] for k, q in STATE_SQL.items()}
    finally:
        con.close()


def test_readers_see_one_publication_whole_while_a_run_writes(tmp_path, prefect_server):
    feed = tmp_path / "feed"
    simulate(feed, start=FEED_END - timedelta(days=2), end=FEED_END, seed=3, orders_per_hour=5, anomaly_rate=0.05)
    settings = write_settings(tmp_path / "settings.yaml", source={"kind": "folder", "folder": feed})
    warehouse = tmp_path / "warehouse.duckdb"
    hourly_reconciliation(window_start=WINDOW_A, settings_file=settings)
    old = state(warehouse)  # read from the warehouse itself, not the copy

    stop = tmp_path / "stop"
    readers = [
        subprocess.Popen(
            [sys.executable, "-c", READER, settings, str(warehouse), str(stop), json.dumps(STATE_SQL),
             json.dumps(list(ACTIVE))],
            cwd=ROOT, stdout=(tmp_path / f"reader{number}.out").open("w"), stderr=subprocess.PIPE, text=True,
        )
        for number in range(2)
    ]
    # and an analyst's read-only connection to the copy, open for the whole run
    analyst = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; con = duckdb.connect(sys.argv[1], read_only=True); "
         "print('open', flush=True); sys.stdin.readline(); "
         "print(con.execute('select max(as_of)::varchar from exceptions.publications').fetchone()[0])",
         str(reader_copy_path(warehouse))],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        outputs = [tmp_path / f"reader{number}.out" for number in range(2)]
        while not all(path.read_text().count("\n") > 1 for path in outputs):  # ready, and a round read
            assert all(reader.poll() is None for reader in readers)
            time.sleep(0.2)
        assert analyst.stdout.readline().strip() == "open"
        summary = hourly_reconciliation(window_start=WINDOW_B, settings_file=settings)
        assert summary.published
        new = state(warehouse)
        deadline = time.monotonic() + 300  # the readers go on reading, and reach the new copy
        while not all(new["run_id"] in path.read_text().splitlines()[-1] for path in outputs):
            assert time.monotonic() < deadline and all(reader.poll() is None for reader in readers)
            time.sleep(0.2)
    finally:
        stop.touch()
        errors = [reader.communicate(timeout=120)[1] for reader in readers]
        seen_by_analyst, _ = analyst.communicate("\n", timeout=60)

    assert old["run_id"] != new["run_id"] and old["ledger"] != new["ledger"]
    expected = {old["run_id"]: old, new["run_id"]: new}
    for reader, path, err in zip(readers, outputs, errors, strict=True):
        assert reader.returncode == 0, err[-3000:]
        ready, *lines = path.read_text().splitlines()
        rounds = [json.loads(line) for line in lines]
        assert ready == "ready" and rounds, err[-3000:]
        assert rounds[0]["state"] == old  # they started on the old publication
        for seen in rounds:
            assert seen["code"] == 0
            assert seen["state"] == expected[seen["state"]["run_id"]]  # never a mix of two publications
            assert seen["listed"] in (old["active"], new["active"])
        assert rounds[-1]["state"] == new  # and they do move on to the new one
    # the open connection kept reading the publication it opened
    assert seen_by_analyst.strip() == str(duckdb.connect().execute(
        "select ?::timestamptz::varchar", [WINDOW_A + timedelta(hours=1)]).fetchone()[0])
