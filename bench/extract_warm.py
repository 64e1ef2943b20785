"""Extract time of a warm run (no new files) over a folder holding many hourly files.

    uv run python -m bench.extract_warm --days 30 --repeats 3

Writes the demo's hourly files for --days of history, lands them once (the cold run), then
times extract over every feed --repeats times with nothing new, and prints the median, the
file count and the machine's load. Run it from another checkout (PYTHONPATH) to compare.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from simulator import simulate
from sources.mapping import builtin_mapping
from tasks.extract import FEEDS, extract_new_input
from tasks.land import land_files
from warehouse.database import connect, migrate

END = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)


def extract_all(con, mapping) -> tuple[float, int]:
    """Seconds to extract every feed, and how many files came back as new."""
    started = time.perf_counter()
    new = sum(len(extract_new_input(con, mapping, feed)) for feed in FEEDS)
    return time.perf_counter() - started, new


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.extract_warm")
    parser.add_argument("--days", type=float, default=30)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "feeds"
        simulate(folder, END - timedelta(hours=1), END, history_days=args.days - 1 / 24)
        files = sum(1 for path in folder.rglob("*") if path.is_file())
        con = connect(Path(tmp) / "w.duckdb")
        migrate(con, END)
        mapping = builtin_mapping(folder)
        cold = time.perf_counter()
        for feed in FEEDS:
            land_files(con, extract_new_input(con, mapping, feed), "cold", END)
        cold = time.perf_counter() - cold
        time.sleep(2.5)  # a file written in the last 2 s is hashed again (sources/state.py)
        extract_all(con, mapping)  # the first warm run remembers those
        warm = [extract_all(con, mapping) for _ in range(args.repeats)]
        assert all(new == 0 for _, new in warm), "a warm run found new files"
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(json.dumps({
        "commit": commit, "days": args.days, "files": files, "cold_land_s": round(cold, 2),
        "warm_extract_s": [round(seconds, 3) for seconds, _ in warm],
        "warm_extract_median_s": round(statistics.median(seconds for seconds, _ in warm), 3),
        "load_1_5_15": [round(load, 2) for load in os.getloadavg()], "cores": os.cpu_count(),
    }, indent=2))


if __name__ == "__main__":
    main()
