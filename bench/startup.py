"""Imports and start of fresh processes: the flow module, GX, and the read-only CLI.

    uv run python -m bench.startup                                 # this tree, 5 repeats
    uv run python -m bench.startup --root . --root /tmp/old-tree   # against another checkout

Each measure is a new interpreter (`python -c ...`, cwd = root, so root's modules are
imported, with this .venv's packages), timed from outside: wall seconds and the child's
CPU seconds (user + system), which a busy machine inflates far less than wall time. Repeats are interleaved across
measures and roots, so a change in the machine's load hits both trees alike; the medians
are printed with every repeat and the 1-minute load average before and after.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

CLI = "import sys; from retaguarda.cli import main; sys.exit(main({argv!r}))"
MEASURES = {
    "import flows.hourly_reconciliation": "import flows.hourly_reconciliation",
    "import great_expectations": "import great_expectations",
    "GX as a run imports it": None,  # filled in by plan: through expectations/gx_import.py where it exists
    "retaguarda --help": CLI.format(argv=["--help"]),
    "retaguarda exceptions": None,  # needs a warehouse: filled in by main
}


def empty_warehouse(folder: Path, root: Path) -> Path:
    """A migrated warehouse and its reader copy, made with root's own code; its settings file."""
    settings = folder / "settings.yaml"
    settings.write_text(f"warehouse:\n  path: {folder / 'warehouse.duckdb'}\n")
    code = (
        "from datetime import UTC, datetime; from pathlib import Path\n"
        "from warehouse.database import connect, migrate\n"
        "from warehouse.reader_copy import write_reader_copy\n"
        f"path = Path({str(folder / 'warehouse.duckdb')!r}); con = connect(path)\n"
        "migrate(con, datetime.now(UTC)); write_reader_copy(con, path); con.close()\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=root, check=True)
    return settings


def timed(code: str, root: Path) -> tuple[float, float]:
    """Wall seconds, and the child's CPU seconds (user + system), which a busy machine inflates far less."""
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"failed: {code}\n{done.stderr[-2000:]}")
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    return seconds, cpu


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, action="append", help="a checkout (default: this one); repeatable")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args(argv)
    roots = [root.resolve() for root in args.root or [Path(__file__).resolve().parent.parent]]
    with tempfile.TemporaryDirectory(prefix="retaguarda-startup-") as tmp:
        plans = {root: plan(root, Path(tmp) / str(number)) for number, root in enumerate(roots)}
        load_before = os.getloadavg()
        times: dict[tuple[Path, str], list[tuple[float, float]]] = {
            (root, name): [] for root, measures in plans.items() for name in measures}
        for _ in range(args.repeats):
            for root, measures in plans.items():
                for name, code in measures.items():
                    times[root, name].append(timed(code, root))
        load_after = os.getloadavg()
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%MZ}, {os.cpu_count()} cores, "
          f"load {load_before[0]:.1f} before, {load_after[0]:.1f} after")
    print("| tree | measure | wall s, median | CPU s, median | wall s, each | CPU s, each |")
    print("|---|---|---:|---:|---|---|")
    for (root, name), values in times.items():
        wall, cpu = [v[0] for v in values], [v[1] for v in values]
        print(f"| {root} | {name} | {statistics.median(wall):.2f} | {statistics.median(cpu):.2f} "
              f"| {', '.join(f'{v:.2f}' for v in wall)} | {', '.join(f'{v:.2f}' for v in cpu)} |")


def plan(root: Path, folder: Path) -> dict[str, str]:
    """The measures for one checkout: code for `python -c`."""
    folder.mkdir(parents=True)
    measures = dict(MEASURES)
    if (root / "expectations" / "gx_import.py").exists():
        measures["GX as a run imports it"] = (
            "from expectations.gx_import import great_expectations; great_expectations()")
    else:
        measures["GX as a run imports it"] = "import great_expectations"
    settings = empty_warehouse(folder, root)
    measures["retaguarda exceptions"] = CLI.format(argv=["--settings", str(settings), "exceptions"])
    return measures


if __name__ == "__main__":
    main()
