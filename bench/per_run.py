"""What each hourly run costs beyond its work: a fresh process per window against one process for many.

    uv run python -m bench.per_run --windows 3
    PREFECT_API_URL=http://127.0.0.1:4200/api uv run python -m bench.per_run --windows 3

On a tiny demo shop (1 day, 2 orders per hour, so the work itself is small), consecutive
hourly windows are reconciled two ways, with the Prefect API the environment gives
(a persistent server with PREFECT_API_URL, otherwise a temporary one):

- "fresh process": `retaguarda run --window-start W` per window, as a process worker or
  `flow.serve` does (each flow run in a new interpreter): imports and, without a persistent
  server, the temporary server's start, every time;
- "one process": one interpreter runs every window (`flows/schedule.py`, a backfill).

Wall seconds per window are printed with the load average.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
FIRST = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)

ONE_PROCESS = """
import sys, time
from datetime import datetime
from retaguarda.server import start_temporary_server
began = time.perf_counter()
start_temporary_server()
from flows.hourly_reconciliation import hourly_reconciliation
print("start", time.perf_counter() - began, flush=True)
for start in sys.argv[2:]:
    began = time.perf_counter()
    hourly_reconciliation(window_start=datetime.fromisoformat(start), settings_file=sys.argv[1])
    print("window", time.perf_counter() - began, flush=True)
"""


def settings_file(folder: Path) -> Path:
    path = folder / "settings.yaml"
    path.write_text(yaml.safe_dump({
        "warehouse": {"path": str(folder / "warehouse.duckdb")},
        "source": {"kind": "demo", "folder": str(folder / "feed")},
        "demo": {"days": 1, "orders_per_hour": 2},
        "ledger": {"export_dir": str(folder / "exports")},
        "report": {"dir": str(folder / "reports")},
    }))
    return path


def fresh_processes(settings: Path, windows: list[datetime]) -> list[float]:
    seconds = []
    for start in windows:
        began = time.perf_counter()
        subprocess.run([str(ROOT / ".venv" / "bin" / "retaguarda"), "--settings", str(settings), "run",
                        "--window-start", start.isoformat()], check=True, capture_output=True)
        seconds.append(time.perf_counter() - began)
    return seconds


def one_process(settings: Path, windows: list[datetime]) -> tuple[float, list[float]]:
    done = subprocess.run([sys.executable, "-c", ONE_PROCESS, str(settings), *(w.isoformat() for w in windows)],
                          check=True, capture_output=True, text=True, cwd=ROOT)
    lines = [line.split() for line in done.stdout.splitlines() if line.split()[:1] in (["start"], ["window"])]
    return float(lines[0][1]), [float(line[1]) for line in lines[1:]]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--windows", type=int, default=3)
    args = parser.parse_args(argv)
    api = os.environ.get("PREFECT_API_URL") or "temporary server"
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="retaguarda-per-run-") as tmp:
        fresh_dir, one_dir = Path(tmp) / "fresh", Path(tmp) / "one"
        fresh_dir.mkdir()
        one_dir.mkdir()
        fresh = fresh_processes(settings_file(fresh_dir), [FIRST + timedelta(hours=k) for k in range(args.windows)])
        start, one = one_process(settings_file(one_dir), [FIRST + timedelta(hours=k) for k in range(args.windows)])
    load_after = os.getloadavg()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%MZ}, API: {api}, load {load_before[0]:.1f} before, "
          f"{load_after[0]:.1f} after")
    print(f"fresh process per window: {', '.join(f'{s:.1f}' for s in fresh)} s "
          f"(median of windows after the first {statistics.median(fresh[1:] or fresh):.1f} s)")
    print(f"one process: start {start:.1f} s, then windows {', '.join(f'{s:.1f}' for s in one)} s "
          f"(median after the first {statistics.median(one[1:] or one):.1f} s)")


if __name__ == "__main__":
    main()
