"""Extract and build-models time of a warm hourly run (no new files) at a given history.

    uv run python -m bench.models_warm --days 30 --repeats 3 [--feed FOLDER] [--landed FILE]

Writes the demo's hourly files for --days of history, lands them and builds the models once
(the cold run), then times extract over every feed plus build_models as of the same window
end, --repeats times with nothing new, and prints the medians, raw rows and the machine's
load. --landed starts from a copy of a warehouse file that already landed that folder
(landing 30 days takes minutes; its build is then the cold run). Copy it into another
checkout and run it there to compare (it imports only the project's public functions).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from retaguarda.settings import load_settings
from simulator import simulate
from sources.mapping import builtin_mapping
from tasks.extract import FEEDS, extract_new_input
from tasks.land import land_files
from tasks.transform import build_models
from warehouse.database import connect, migrate

END = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.models_warm")
    parser.add_argument("--days", type=float, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--feed", type=Path, help="a folder the simulator already wrote (--days of history to END)")
    parser.add_argument("--landed", type=Path, help="a warehouse file that landed --feed already (copied, not changed)")
    args = parser.parse_args(argv)
    settings = load_settings(environ={})
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.feed or Path(tmp) / "feeds"
        if args.feed is None:
            simulate(folder, END - timedelta(hours=1), END, history_days=args.days - 1 / 24)
        if args.landed is not None:
            shutil.copy(args.landed, Path(tmp) / "w.duckdb")
        con = connect(Path(tmp) / "w.duckdb")
        migrate(con, END)
        mapping = builtin_mapping(folder)
        for feed in FEEDS:  # with --landed, only what that file has not landed yet
            land_files(con, extract_new_input(con, mapping, feed), "cold", END)
        build_models(con, settings, END)
        raw_rows = sum(con.execute(f"select count(*) from raw.{t}").fetchone()[0]
                       for t in ("orders", "order_lines", "payments", "allocations", "stock_snapshots",
                                 "stock_movements", "shipments", "shipment_lines", "tracking_events",
                                 "carrier_invoices", "skus"))
        time.sleep(2.5)  # a file written in the last 2 s is hashed again (sources/state.py)
        sum(len(extract_new_input(con, mapping, feed)) for feed in FEEDS)  # the first warm run remembers them
        extract, models = [], []
        for _ in range(args.repeats):
            started = time.perf_counter()
            new = sum(len(extract_new_input(con, mapping, feed)) for feed in FEEDS)
            extract.append(time.perf_counter() - started)
            assert new == 0, "a warm run found new files"
            started = time.perf_counter()
            build_models(con, settings, END)
            models.append(time.perf_counter() - started)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(json.dumps({
        "commit": commit, "days": args.days, "raw_rows": raw_rows,
        "warm_extract_median_s": round(statistics.median(extract), 3),
        "warm_models_median_s": round(statistics.median(models), 3),
        "warm_models_runs_s": [round(m, 3) for m in models],
        "warm_extract_plus_models_s": round(statistics.median(e + m for e, m in zip(extract, models, strict=True)), 3),
        "load_1_5_15": [round(load, 2) for load in os.getloadavg()], "cores": os.cpu_count(),
    }, indent=2))


if __name__ == "__main__":
    main()
