"""Speed benchmark of the stage suites (issue "GX suites for every stage").

    .venv/bin/python -m bench.validation [--sizes 100000 1000000] [--repeats 3] [--diagnose]

For each size, a simulated world of about that many order lines is loaded into a
temporary DuckDB file with the project's own extract, land and build_models; then each
of these is timed --repeats times, interleaved, and the medians reported:

  (a) ours, the whole check path of a run: tasks.materialise.materialise_checks (each
      check's SQL once, into work tables), tasks.validate.validate_suites (the stage suites
      through GX inside DuckDB) and tasks.publish.publish (swap-in, ledger, history);
  (b) the floor: each check as `select count(*) from (<check sql>)`, each contract
      expectation as one plain count query (bench/floor.py);
  (c) GX on pandas: export the tables to pandas (timed apart), then validate the same
      contract plus one predicate-counting expectation per check that has a pandas twin
      (bench/pandas_gx.py; checks without one are listed, not counted).

The three must agree on every unexpected count they all compute, or the run fails. --diagnose adds, per
size, where (a) spends its SQL time (bench/gx_profile.py) and the time of (c) on frames
without LIST columns. Method and measured
figures: docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import great_expectations as gx
import pandas as pd

from bench.floor import check_counts, contract_counts, floor_counts
from bench.gx_profile import statement_log
from bench.pandas_gx import build_frames, frame_tables, pandas_checks, validate_on_pandas, without_twin
from bench.world import AS_OF, HISTORY_DAYS, WINDOW_DAYS, World, build_world, log
from expectations.catalog import Suite, load_catalog
from retaguarda.settings import load_settings
from tasks.materialise import materialise_checks
from tasks.publish import publish
from tasks.validate import ExpectationResult, validate_suites

# duckdb's .df() calls DataFrame.drop(inplace=True), which pandas 3.1 warns about per call.
warnings.filterwarnings("ignore", category=pd.errors.Pandas4Warning)

Key = tuple[str, str]  # (suite, check id or "contract:<position in the suite's contract>")
GOAL_A_OVER_B = 2.0
GOAL_C_OVER_A = 5.0


@dataclass
class Measured:
    target: int
    order_lines: int
    orders_per_hour: float
    runs: dict[str, list[float]]  # measure -> seconds, one per repeat
    load: list[float]  # 1-minute load average before each repeat: other work on the machine

    def median(self, measure: str) -> float:
        return statistics.median(self.runs[measure])


def timed(fn: Callable[..., Any], *args: Any) -> tuple[float, Any]:
    started = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - started, result


def result_counts(results: list[ExpectationResult]) -> dict[Key, int]:
    """validate_suites results keyed like the other two paths (contract by position)."""
    counts, positions = {}, Counter()
    for result in results:
        key = result.check_id
        if key == "contract":
            key = f"contract:{positions[result.suite]}"
            positions[result.suite] += 1
        counts[(result.suite, key)] = result.unexpected_count
    return counts


def ours(world: World, suites: tuple[Suite, ...]) -> tuple[dict[str, float], list[ExpectationResult]]:
    """(a): materialise, validate, publish, as a run does; seconds per part and GX's results."""
    con, variables = world.con, world.variables
    as_of = variables["as_of"]
    parts = {}
    parts["a:materialise"], _ = timed(materialise_checks, con, suites, as_of)
    parts["a:validate"], results = timed(validate_suites, con, variables, suites)
    parts["a:publish"], _ = timed(publish, con, suites, load_settings(environ={}), "bench", as_of)
    parts["a"] = sum(parts.values())
    return parts, results


def check_agreement(named: dict[str, dict[Key, int]], when: str) -> None:
    """Fail loudly unless every path found the same number of offending rows wherever all counted."""
    keys = sorted(set.intersection(*(set(counts) for counts in named.values())))
    bad = [(key, [counts.get(key) for counts in named.values()]) for key in keys
           if len({counts.get(key) for counts in named.values()}) > 1]
    if bad:
        lines = [f"{'suite':<16}{'check':<28}" + "".join(f"{name:>10}" for name in named)]
        lines += [f"{s:<16}{k:<28}" + "".join(f"{str(n):>10}" for n in found) for (s, k), found in bad]
        raise SystemExit(f"counts disagree ({when}):\n" + "\n".join(lines))


def measure(world: World, suites: tuple[Suite, ...], repeats: int) -> tuple[dict[str, list[float]], list[float]]:
    con, variables = world.con, world.variables
    tables = frame_tables(suites, pandas_checks(variables))
    runs: dict[str, list[float]] = {
        "a": [], "a:materialise": [], "a:validate": [], "a:publish": [], "b": [], "frames": [], "c": []}
    load = []
    for repeat in range(1, repeats + 1):
        load.append(os.getloadavg()[0])
        log(f"  repeat {repeat}/{repeats}: (a) materialise, GX suites inside DuckDB, publish ...")
        parts, results = ours(world, suites)
        for part, seconds in parts.items():
            runs[part].append(seconds)
        log(f"    (a) {parts['a']:.2f}s; (b) floor ...")
        seconds, floor = timed(floor_counts, con, suites)
        runs["b"].append(seconds)
        log(f"    (b) {seconds:.2f}s; (c) exporting {len(tables)} tables to pandas ...")
        seconds, frames = timed(build_frames, con, tables)
        runs["frames"].append(seconds)
        log(f"    (c) frames {seconds:.2f}s; validating on pandas ...")
        seconds, on_pandas = timed(validate_on_pandas, frames, suites, variables)
        runs["c"].append(seconds)
        del frames
        log(f"    (c) validation {seconds:.2f}s")
        check_agreement({"(a)": result_counts(results), "(b)": floor, "(c)": on_pandas}, f"repeat {repeat}")
    log(f"  (a), (b) and (c) agree on all {len(floor) - len(without_twin(suites, pandas_checks(variables)))} "
        "counts they share in every repeat")
    runs["c+frames"] = [f + c for f, c in zip(runs["frames"], runs["c"], strict=True)]
    return runs, load


def _sql_breakdown(world: World, suites: tuple[Suite, ...]) -> None:
    """One (a) run, its SQL time by GX metric kind; then the floor's two halves."""
    con, variables = world.con, world.variables
    materialise_checks(con, suites, variables["as_of"])
    with statement_log() as sql:
        total, _ = timed(validate_suites, con, variables, suites)
    log(f"\n  -- (a)'s validation, one run, {total:.2f}s: SQL GX sent, by metric --")
    log(f"  {'seconds':>8} {'stmts':>6}  kind")
    for kind, seconds in sorted(sql.items(), key=lambda item: -sum(item[1])):
        log(f"  {sum(seconds):8.2f} {len(seconds):6}  {kind}")
    in_sql = sum(sum(s) for s in sql.values())
    log(f"  {total - in_sql:8.2f} {'':6}  outside SQL: GX planning, results, Python")
    contract_seconds, _ = timed(contract_counts, con, suites)
    checks_seconds, _ = timed(check_counts, con, suites)
    log(f"  floor, one run: checks {checks_seconds:.2f}s, contract {contract_seconds:.2f}s")


def _variants(world: World, suites: tuple[Suite, ...], repeats: int) -> None:
    """(a), (b) and c_text interleaved, so that all share whatever load the machine has.

    c_text is (c)'s validation on frames whose LIST columns are exported as text: GX
    fingerprints every pandas batch, and a frame with LIST columns cannot be hashed, so GX
    pickles it instead.
    """
    con, variables = world.con, world.variables
    text_frames = build_frames(con, frame_tables(suites, pandas_checks(variables)), lists_as_text=True)
    runs: dict[str, list[float]] = {"a": [], "b": [], "c_text": []}
    for _ in range(repeats):
        parts, baseline = ours(world, suites)
        runs["a"].append(parts["a"])
        seconds, floor = timed(floor_counts, con, suites)
        runs["b"].append(seconds)
        seconds, on_text = timed(validate_on_pandas, text_frames, suites, variables)
        runs["c_text"].append(seconds)
        check_agreement({"(a)": result_counts(baseline), "(b)": floor, "c_text": on_text}, "diagnosis")
    medians = {name: statistics.median(seconds) for name, seconds in runs.items()}
    log("  -- interleaved: a = materialise + validate_suites + publish, b = floor,")
    log("     c_text = GX on pandas with LIST columns exported as text (validation only) --")
    for name, seconds in runs.items():
        log(f"  {name:<7}{medians[name]:8.2f}s   " + " ".join(f"{s:.2f}" for s in seconds))
    log(f"  a/b = {medians['a'] / medians['b']:.2f}, c_text/a = {medians['c_text'] / medians['a']:.2f}; "
        "all found the same counts\n")


def run_size(target: int, repeats: int, seed: int, with_diagnosis: bool) -> Measured:
    suites = load_catalog()
    for check_id in without_twin(suites, pandas_checks(load_settings(environ={}).sql_variables(AS_OF))):
        log(f"  {check_id}: no pandas twin in bench/pandas_gx.py; (c) leaves it out")
    with tempfile.TemporaryDirectory(prefix="retaguarda-bench-") as workdir:
        log(f"\n== size {target:,}: building the world in {workdir} ==")
        world = build_world(Path(workdir), target, seed)
        log(f"  {world.order_lines:,} order lines (target {target:,})")
        try:
            runs, load = measure(world, suites, repeats)
            if with_diagnosis:
                _sql_breakdown(world, suites)
                _variants(world, suites, repeats)
        finally:
            world.con.close()
    return Measured(target, world.order_lines, world.orders_per_hour, runs, load)


def _verdict(ratio: float, met: bool) -> str:
    return f"{ratio:.2f} ({'met' if met else 'MISSED'})"


def report(m: Measured) -> str:
    rows = [
        ("(a) ours: materialise the checks", "a:materialise"),
        ("(a) ours: GX suites inside DuckDB", "a:validate"),
        ("(a) ours: publish", "a:publish"),
        ("(a) ours: the three", "a"),
        ("(b) floor: plain DuckDB count queries", "b"),
        ("(c) GX on pandas: build frames", "frames"),
        ("(c) GX on pandas: validate", "c"),
        ("(c) GX on pandas: frames + validate", "c+frames"),
    ]
    a, b = m.median("a"), m.median("b")
    c, c_total = m.median("c"), m.median("c+frames")
    lines = [
        f"\n{m.order_lines:,} order lines (target {m.target:,}; simulator at {m.orders_per_hour} orders/hour "
        f"over {WINDOW_DAYS + HISTORY_DAYS} days)",
        f"  {'measure':<40}{'median s':>10}   each repeat",
    ]
    lines += [f"  {label:<40}{m.median(key):>10.2f}   " + " ".join(f"{s:.2f}" for s in m.runs[key])
              for label, key in rows]
    lines += [
        f"  a/b = {_verdict(a / b, a / b <= GOAL_A_OVER_B)}   goal: at most {GOAL_A_OVER_B:g}",
        f"  c/a = {_verdict(c / a, c / a >= GOAL_C_OVER_A)} validation only, "
        f"{_verdict(c_total / a, c_total / a >= GOAL_C_OVER_A)} with frame building   goal: at least {GOAL_C_OVER_A:g}",
        f"  1-minute load average before each repeat ({os.cpu_count()} cores): "
        + " ".join(f"{x:.1f}" for x in m.load),
    ]
    return "\n".join(lines)


def machine() -> str:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor() or "unknown cpu")
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    with duckdb.connect() as probe:
        threads = probe.execute("select current_setting('threads')").fetchone()[0]
    return (
        f"machine: {cpu}, {os.cpu_count()} cores, {memory:.0f} GiB RAM, {platform.system()} {platform.release()}\n"
        f"python {platform.python_version()}, duckdb {duckdb.__version__} ({threads} threads), "
        f"great_expectations {gx.__version__}, pandas {pd.__version__}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description="Time the stage suites: GX in DuckDB vs plain SQL vs GX on pandas.")
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000],
                        help="order lines per simulated world (default: 100000 1000000)")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs of each measure (medians reported)")
    parser.add_argument("--seed", type=int, default=7, help="simulator seed")
    parser.add_argument("--diagnose", action="store_true",
                        help="also break (a) down by SQL statement kind, and time the variants in docs/benchmarks.md")
    args = parser.parse_args()
    log(machine())
    measured = [run_size(size, args.repeats, args.seed, args.diagnose) for size in args.sizes]
    log("\n" + machine())
    for m in measured:
        log(report(m))


if __name__ == "__main__":
    main()
