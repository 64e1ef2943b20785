"""The whole hourly reconciliation, timed in one process after a warm-up, against the floor.

    uv run python -m bench.whole_run                 # history 1x, 10x, 30x; 100k and 1M lines
    uv run python -m bench.whole_run --quick         # a small version (a few minutes)
    uv run python -m bench.whole_run --history 1 10 --sizes   # only the history series

Each scenario runs in its own child process (so its peak resident memory is its own):

1. The simulator writes the shop's hourly hand-over files up to AS_OF. The files before the
   last `--repeats` hours are merged into one export per feed (as a shop's history comes);
   the last hours' files are held back.
2. Warm-up: one `hourly_reconciliation` for the hour before them lands the whole history,
   builds the models and publishes, and pays the imports, GX's set-up and the Prefect
   server's start.
3. Measured: for each held-back hour, its files are moved into the folder and that hour is
   reconciled, the whole flow (extract, land, models, checks, GX validation, publish,
   alerts, report, pruning). Each run sees exactly one new hour of input.
4. The floor, in the same process and on the same warehouse file: every check and contract
   expectation as one plain DuckDB count (`bench/floor.py`), `--repeats` times. Its check
   counts must equal the exceptions the last run published, or the scenario fails.

"Run s" is the flow call's wall time. Prefect ends every flow run by joining its heartbeat
thread, which sleeps in 1 s steps (prefect/flow_engine.py `_send_heartbeats`), so a run's wall
lands on whole seconds from the thread's start and carries up to 1 s that no work explains.
"Work s" is the run's own record in `audit.runs`, from taking the writer lock to recording the
run (extract to pruning): it leaves out Prefect's start and end of the flow run, loading the
settings and the catalog, and the reader copy written after the record (the exceptions, audit
and published schemas copied whole into the readers' file, so it grows with history).

"History k×": the same orders per hour, with k times the settled history before the window.
"Size N": orders per hour chosen so staging.order_lines is about N (bench/world.py's rule).
Medians are printed with every repeat, the child's peak RSS, and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.history import as_export, write_settings

AS_OF = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # a Friday afternoon, as bench/world.py
HOUR = timedelta(hours=1)
DEMO_ORDERS_PER_HOUR = 12.0
BASE_HISTORY_DAYS = 7.0
SIZE_DAYS = 21.0  # bench/world.py: 7 days of window plus 14 of history


@dataclass
class Scenario:
    name: str
    orders_per_hour: float
    history_days: float
    repeats: int


@dataclass
class Result:
    scenario: str
    orders_per_hour: float
    history_days: float
    raw_rows: int
    order_lines: int
    warmup_s: float
    run_s: list[float]
    work_s: list[float]
    floor_s: list[float]
    peak_rss_mb: float
    load_before: tuple[float, float, float]
    load_after: tuple[float, float, float]

    @property
    def run_median(self) -> float:
        return statistics.median(self.run_s)

    @property
    def work_median(self) -> float:
        return statistics.median(self.work_s)

    @property
    def floor_median(self) -> float:
        return statistics.median(self.floor_s)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def hour_stamp(path: Path) -> str:
    """The simulator names each hand-over file after its hour: 2026112714-page-0001.json."""
    return path.name.split("-", 1)[0]


def prepare_feed(feed: Path, held: Path, scenario: Scenario) -> list[datetime]:
    """Simulate, hold back the last `repeats` hours' files, merge the rest; the held-back hours."""
    from simulator import simulate

    hours = [AS_OF - HOUR * (scenario.repeats - i) for i in range(scenario.repeats)]
    simulate(feed, AS_OF - HOUR, AS_OF, seed=7, orders_per_hour=scenario.orders_per_hour, anomaly_rate=0.03,
             history_days=max(scenario.history_days - 1 / 24, 0))
    first = f"{hours[0]:%Y%m%d%H}"
    for path in sorted(feed.glob("*/*-*")):
        if hour_stamp(path) >= first:
            target = held / hour_stamp(path) / path.parent.name
            target.mkdir(parents=True, exist_ok=True)
            path.rename(target / path.name)
    as_export(feed)
    return hours


def hand_over(feed: Path, held: Path, hour: datetime) -> None:
    """Move one hour's held-back files into the source folder."""
    for path in sorted((held / f"{hour:%Y%m%d%H}").glob("*/*")):
        (feed / path.parent.name).mkdir(exist_ok=True)
        path.rename(feed / path.parent.name / path.name)


def floor_once(warehouse: Path, settings_file: Path, as_of: datetime) -> tuple[float, dict]:
    """The floor's counts on the published warehouse, and how long they took."""
    from bench.floor import floor_counts
    from expectations.catalog import configured_catalog
    from retaguarda.settings import load_settings
    from warehouse.database import connect, prepare_session, set_variables

    settings = load_settings(str(settings_file))
    suites = configured_catalog(settings.check_overrides())
    con = connect(warehouse, read_only=True)
    try:
        prepare_session(con)
        started = time.perf_counter()
        set_variables(con, settings.sql_variables(as_of))
        counts = floor_counts(con, suites)
        return time.perf_counter() - started, counts
    finally:
        con.close()


def work_seconds(warehouse: Path, run_id: str) -> float:
    """The run's own time as it recorded it: from taking the writer lock to the run record."""
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        return con.execute("select epoch(finished_at - started_at) from audit.runs where run_id = ?",
                           [run_id]).fetchone()[0]
    finally:
        con.close()


def warehouse_sizes(warehouse: Path) -> tuple[int, int]:
    import duckdb

    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        tables = con.execute(
            "select table_name from information_schema.tables where table_schema = 'raw'").fetchall()
        raw = sum(con.execute(f'select count(*) from raw."{name}"').fetchone()[0] for (name,) in tables)
        lines = con.execute("select count(*) from staging.order_lines").fetchone()[0]
    finally:
        con.close()
    return raw, lines


def run_scenario(scenario: Scenario, workdir: Path) -> Result:
    """Warm up, then time `repeats` hourly runs and `repeats` floors, in this process."""
    from flows.hourly_reconciliation import hourly_reconciliation

    feed, held = workdir / "feed", workdir / "held"
    load_before = os.getloadavg()
    log(f"{scenario.name}: simulating {scenario.orders_per_hour} orders/h, {scenario.history_days} days ...")
    hours = prepare_feed(feed, held, scenario)
    settings = write_settings(workdir, feed)
    log(f"{scenario.name}: warm-up run for {hours[0] - HOUR:%Y-%m-%d %H:%M}Z ...")
    started = time.perf_counter()
    hourly_reconciliation(window_start=hours[0] - HOUR, settings_file=str(settings))
    warmup = time.perf_counter() - started
    warehouse = workdir / "warehouse.duckdb"
    runs, works, summary = [], [], None
    for hour in hours:
        hand_over(feed, held, hour)
        started = time.perf_counter()
        summary = hourly_reconciliation(window_start=hour, settings_file=str(settings))
        runs.append(time.perf_counter() - started)
        works.append(work_seconds(warehouse, summary.run_id))
        log(f"{scenario.name}: run {hour:%H:%M}Z {runs[-1]:.2f}s, work {works[-1]:.2f}s")
    floors = []
    for _ in range(scenario.repeats):
        seconds, counts = floor_once(warehouse, settings, hours[-1] + HOUR)
        floors.append(seconds)
    published = {check: n for check, n in summary.exceptions.items()}
    floor_checks = {check: n for (_, check), n in counts.items() if not check.startswith("contract:")}
    differ = {c: (published.get(c), floor_checks.get(c)) for c in published if published[c] != floor_checks.get(c)}
    if differ:
        raise SystemExit(f"{scenario.name}: the run and the floor disagree (run, floor): {differ}")
    raw, lines = warehouse_sizes(warehouse)
    return Result(
        scenario=scenario.name, orders_per_hour=scenario.orders_per_hour, history_days=scenario.history_days,
        raw_rows=raw, order_lines=lines, warmup_s=round(warmup, 2),
        run_s=[round(s, 3) for s in runs], work_s=[round(s, 3) for s in works], floor_s=[round(s, 3) for s in floors],
        peak_rss_mb=round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        load_before=load_before, load_after=os.getloadavg(),
    )


def scenarios(args: argparse.Namespace) -> list[Scenario]:
    from bench.world import lines_per_order, orders_per_hour

    found = [Scenario(f"history {k:g}x", args.orders, args.days * k, args.repeats) for k in args.history]
    if args.sizes:
        per_order = lines_per_order(Path(tempfile.gettempdir()), 7)
        found += [Scenario(f"{n:,} lines", orders_per_hour(n, per_order), SIZE_DAYS, args.repeats)
                  for n in args.sizes]
    return found


def child(scenario: Scenario) -> Result:
    """Run one scenario in a fresh interpreter; its Result (peak RSS is that process's)."""
    done = subprocess.run(
        [sys.executable, "-m", "bench.whole_run", "--one", json.dumps(asdict(scenario))],
        stdout=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parent.parent,
    )
    if done.returncode != 0:
        raise SystemExit(f"{scenario.name} failed (exit {done.returncode})")
    fields = json.loads(done.stdout.strip().splitlines()[-1])
    return Result(**fields)


def table(results: list[Result]) -> str:
    rows = ["| scenario | orders/h | history days | raw rows | order lines | warm-up s "
            "| run s (median) | work s (median) | floor s (median) | work / floor | peak RSS MB "
            "| load 1-min before, after |",
            "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]

    def spread(values: list[float], median: float) -> str:
        return f"{median:.2f} ({', '.join(f'{v:.2f}' for v in values)})"

    for r in results:
        rows.append(
            f"| {r.scenario} | {r.orders_per_hour:g} | {r.history_days:g} | {r.raw_rows:,} | {r.order_lines:,} "
            f"| {r.warmup_s:.1f} | {spread(r.run_s, r.run_median)} | {spread(r.work_s, r.work_median)} "
            f"| {r.floor_median:.3f} | {r.work_median / r.floor_median:.1f} | {r.peak_rss_mb:.0f} "
            f"| {r.load_before[0]:.1f}, {r.load_after[0]:.1f} |")
    history = [r for r in results if r.scenario.startswith("history")]
    if len(history) > 1:
        base = history[0]
        rows.append("")
        rows += [f"{r.scenario} against {base.scenario}: run {r.run_median / base.run_median:.2f}, "
                 f"work {r.work_median / base.work_median:.2f}" for r in history[1:]]
    return "\n".join(rows)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="history 1x and 3x of 1 day at 4 orders/h, 2 repeats")
    parser.add_argument("--history", type=float, nargs="*", default=[1, 10, 30], help="history multiples")
    parser.add_argument("--days", type=float, default=BASE_HISTORY_DAYS, help="history at 1x, in days")
    parser.add_argument("--orders", type=float, default=DEMO_ORDERS_PER_HOUR, help="orders per hour (history)")
    parser.add_argument("--sizes", type=int, nargs="*", default=[100_000, 1_000_000], help="order lines")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--one", help=argparse.SUPPRESS)  # a child: one scenario, as JSON
    args = parser.parse_args(argv)
    if args.one:
        with tempfile.TemporaryDirectory(prefix="retaguarda-whole-run-") as tmp:
            result = run_scenario(Scenario(**json.loads(args.one)), Path(tmp))
        print(json.dumps(asdict(result)))
        return
    if args.quick:
        args.history, args.days, args.orders, args.sizes, args.repeats = [1, 3], 1.0, 4.0, [], 2
    from retaguarda.server import start_temporary_server

    log(f"{platform.node()} {os.cpu_count()} cores, commit {_commit()}, {datetime.now(UTC):%Y-%m-%d %H:%MZ}")
    url = start_temporary_server(say=log)  # one server for every child, unless PREFECT_API_URL is set
    if url:
        os.environ["PREFECT_API_URL"] = url
    results = [child(scenario) for scenario in scenarios(args)]
    print(table(results))


def _commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                          cwd=Path(__file__).resolve().parent)
    return done.stdout.strip() or "unknown"


if __name__ == "__main__":
    main()
