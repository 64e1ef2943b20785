"""The peer: Soda Core against Retaguarda on the same six checks and the same DuckDB file.

    uv run python -m bench.soda_peer                      # 1M order lines, 3 repeats
    uv run python -m bench.soda_peer --lines 100000

The world is bench/world.py's (simulated, landed and modelled with the project's code).
Six checks, one or two per feed, are timed three ways on it:

- ours: `tasks.materialise.materialise_checks` then `tasks.validate.validate_suites` on
  suites holding only those checks (no contract expectations), after one warm-up call
  that pays GX's imports;
- floor: `select count(*) from (<check sql>)` for each (bench/floor.py's rule);
- Soda Core 3.5: one `failed rows` check per Retaguarda check with its SQL as `fail query`,
  in Soda's own virtual environment (`.bench-venvs/soda`, made here with uv on first use,
  because soda-core-duckdb 3.5.6 requires duckdb < 1.1 while this project pins 1.5.5; it is
  installed with duckdb overridden to 1.5.5 so it reads the same file). bench/soda_scan.py
  runs there.

Also timed: each side's imports in a fresh process (ours: what a run imports before it can
validate; Soda: `soda.scan`), and each process's peak RSS. The three must find the same
count for every check, or the run stops.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".bench-venvs" / "soda"
SODA = ("soda-core==3.5.6", "soda-core-duckdb==3.5.6", "pytz==2026.6")  # pytz: DuckDB fetches TIMESTAMPTZ with it
CHECKS = ("paid_amount_mismatch", "cancelled_not_refunded", "late_shipment", "no_first_scan",
          "duplicate_tracking_number", "billed_weight_mismatch")
OURS_IMPORTS = (
    "import time; t = time.perf_counter()\n"
    "import duckdb\n"
    "from tasks.materialise import materialise_checks\n"
    "from tasks.validate import validate_suites\n"
    "from expectations.gx_import import great_expectations\n"
    "great_expectations()\n"
    "print(time.perf_counter() - t)\n"
)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def soda_python() -> Path:
    """Soda's interpreter, its environment made with uv on first use."""
    python = VENV / "bin" / "python"
    if not python.exists():
        import duckdb

        log(f"making {VENV} with {', '.join(SODA)} ...")
        subprocess.run(["uv", "venv", "--quiet", "--python", f"{sys.version_info[0]}.{sys.version_info[1]}",
                        str(VENV)], check=True)
        with tempfile.NamedTemporaryFile("w", suffix=".txt") as override:
            override.write(f"duckdb=={duckdb.__version__}\n")  # read the same file as the pipeline
            override.flush()
            subprocess.run(["uv", "pip", "install", "--quiet", "--python", str(python), *SODA,
                            f"duckdb=={duckdb.__version__}", "--override", override.name], check=True)
    return python


def encoded(value: object) -> object:
    return {"datetime": value.isoformat()} if isinstance(value, datetime) else value


def fresh_seconds(command: list[str]) -> tuple[float, float]:
    """A child's own import seconds (its last stdout line) and its wall seconds."""
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, check=True)
    return float(done.stdout.strip().splitlines()[-1]), time.perf_counter() - started


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    python = soda_python()
    from bench.world import AS_OF, build_world
    from expectations.catalog import load_catalog
    from tasks.materialise import materialise_checks, materialised_counts
    from tasks.validate import validate_suites

    suites = tuple(
        replace(suite, contract=(), checks=picked)
        for suite in load_catalog()
        if (picked := tuple(check for check in suite.checks if check.id in CHECKS))
    )
    found = {check.id for suite in suites for check in suite.checks}
    if found != set(CHECKS):
        raise SystemExit(f"checks not in the catalog: {sorted(set(CHECKS) - found)}")
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="retaguarda-soda-") as tmp:
        world = build_world(Path(tmp), args.lines)
        con, variables = world.con, world.variables
        log("ours: warm-up (GX imports and set-up) ...")
        materialise_checks(con, suites, AS_OF)
        validate_suites(con, variables, suites)
        ours, floor = [], []
        for _ in range(args.repeats):
            started = time.perf_counter()
            materialise_checks(con, suites, AS_OF)
            results = validate_suites(con, variables, suites)
            ours.append(time.perf_counter() - started)
            started = time.perf_counter()
            floor_counts = {check.id: con.execute(f"select count(*) from ({check.sql})").fetchone()[0]
                            for suite in suites for check in suite.checks}
            floor.append(time.perf_counter() - started)
        our_counts = {r.check_id: r.unexpected_count for r in results}
        work_counts = materialised_counts(con, tuple(c for s in suites for c in s.checks), AS_OF)
        ours_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        con.close()  # written to the file on close; Soda opens it itself, read-only
        spec = Path(tmp) / "soda.json"
        spec.write_text(json.dumps({
            "database": str(Path(tmp) / "bench.duckdb"), "repeats": args.repeats,
            "variables": {name: encoded(value) for name, value in variables.items()},
            "checks": [{"id": check.id, "dataset": suite.batch.split(".")[-1], "sql": check.sql}
                       for suite in suites for check in suite.checks],
        }))
        log("Soda Core: scans ...")
        started = time.perf_counter()
        done = subprocess.run([str(python), str(ROOT / "bench" / "soda_scan.py"), str(spec)],
                              capture_output=True, text=True, check=False)
        soda_wall = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"Soda failed:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
        soda = json.loads(done.stdout.strip().splitlines()[-1])
    imports = {"ours": [], "soda": []}
    for _ in range(args.repeats):
        imports["ours"].append(fresh_seconds([sys.executable, "-c", OURS_IMPORTS]))
        imports["soda"].append(fresh_seconds([str(python), "-c", "import time; t = time.perf_counter()\n"
                                              "import duckdb\nfrom soda.scan import Scan\n"
                                              "print(time.perf_counter() - t)"]))
    load_after = os.getloadavg()
    disagree = {c: (our_counts.get(c), work_counts.get(c), floor_counts[c], soda["counts"].get(c))
                for c in CHECKS
                if len({our_counts.get(c), work_counts.get(c), floor_counts[c], soda["counts"].get(c)}) != 1}
    if disagree:
        raise SystemExit(f"counts differ (ours GX, ours work table, floor, Soda): {disagree}")
    med = statistics.median
    print(f"{world.order_lines:,} order lines; load {load_before[0]:.1f} before, {load_after[0]:.1f} after; "
          f"the six checks agree: {', '.join(f'{c} {floor_counts[c]}' for c in CHECKS)}")
    print("| measure | ours | Soda Core 3.5.6 | floor |\n|---|---:|---:|---:|")
    print(f"| six checks, median s | {med(ours):.3f} | {med(soda['scan_s']):.3f} | {med(floor):.3f} |")
    print(f"| over the floor | {med(ours) / med(floor):.1f}x | {med(soda['scan_s']) / med(floor):.1f}x | 1 |")
    print(f"| imports in a fresh process, median s | {med(s for s, _ in imports['ours']):.2f} "
          f"| {med(s for s, _ in imports['soda']):.2f} | |")
    print(f"| fresh process wall (start + imports), median s | {med(w for _, w in imports['ours']):.2f} "
          f"| {med(w for _, w in imports['soda']):.2f} | |")
    # Soda's ru_maxrss is not its own: a child started by fork and exec keeps the parent's high-water mark
    print(f"| peak RSS MB (ours: whole benchmark process, world included) | {ours_rss:.0f} | not measured | |")
    print(f"repeats: ours {[round(s, 3) for s in ours]}, Soda {[round(s, 3) for s in soda['scan_s']]}, "
          f"floor {[round(s, 3) for s in floor]}; Soda child wall {soda_wall:.1f} s")


if __name__ == "__main__":
    main()
