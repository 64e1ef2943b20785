"""Many shops on Prefect workers: tenant-hours reconciled per minute, DuckDB files against DuckLake.

    uv run python -m bench.tenants                     # 1, 4, 16 tenants; 1 and 2 workers; both warehouses
    uv run python -m bench.tenants --quick             # 1 tenant, 1 worker, DuckDB file, a tiny shop
    uv run python -m bench.tenants --quick --warehouses ducklake
    uv run python -m bench.tenants --tenants 4 --warehouses ducklake --repeats 3

What runs, for each warehouse kind and tenant count:

1. A real Prefect server (`prefect server start`, its own SQLite file), a process work pool and
   prefect.yaml's deployments, as the fan-out test starts them (tests/prefect_cluster.py); workers
   are `prefect worker start` processes, each taking one flow run at a time (`--limit 1`), so
   "2 workers" is two runs at once.
2. Tenants (`tenants/<name>.yaml` over `tenants/defaults.yaml`) are the demo shop at its size
   (12 orders an hour, 7 days of history), each with its own seed, feed folder and warehouse: a
   DuckDB file each, or one DuckLake catalog database on one PostgreSQL server
   (tests/postgres_server.py) with a metadata schema and a data folder per shop.
3. Warm-up: one hour reconciled for every tenant; it simulates and lands the history.
4. Measured: for each worker count, `--repeats` further hours, one at a time. Each hour is one
   `reconcile-all` flow run (flows/reconcile_all.py) in this process: it starts one
   `hourly-reconciliation` run per tenant through the deployment and waits for all of them
   (polling every 0.5 s). Wall time is that parent run's, from its start to its return.

Throughput is tenants / wall minutes (tenant-hours per minute), median of the repeats. With
DuckLake, the catalog's time is PostgreSQL's own account of the catalog database
(`pg_stat_database.active_time`: milliseconds backends spent executing statements, lock
waits included, network round trips and client time not), read before and after each hour;
it is set against the wall time and against the summed duration of the flow runs (worker time).
The 1-minute load average is printed before and after every figure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # the suite's servers (tests/) serve the benchmark too
from tests.postgres_server import PostgresServer  # noqa: E402
from tests.prefect_cluster import PrefectCluster  # noqa: E402

AS_OF = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)  # a Friday afternoon, as the other benchmarks
HOUR = timedelta(hours=1)
OK_STATES = ("Completed", "Exceptions found")  # as flows/reconcile_all.py counts them


@dataclass
class Shop:
    """The demo's size unless --quick makes it smaller."""

    orders_per_hour: float = 12.0
    days: float = 7.0


@dataclass
class Hour:
    """One hour reconciled for every tenant."""

    tenants: int
    workers: int
    warehouse: str
    window_start: str
    wall_s: float
    run_s: list[float]  # each flow run's own start to end, from the Prefect API
    states: dict[str, int]
    load_before: float
    load_after: float
    catalog: dict[str, float] = field(default_factory=dict)  # deltas of pg_stat_database, DuckLake only

    @property
    def per_minute(self) -> float:
        return self.tenants / (self.wall_s / 60)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def load() -> float:
    return os.getloadavg()[0]


def start_cluster(folder: Path) -> PrefectCluster:
    """The server with prefect.yaml deployed and no worker yet; each worker runs one flow run at a time."""
    return PrefectCluster(folder, workers=0, worker_limit=1)


def fan_out(settings_file: Path, hour: datetime, timeout: float) -> tuple[float, list[float], dict[str, int]]:
    """The real fan-out, `reconcile-all`, in this process: wall s, each tenant run's s, their states."""
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterParentFlowRunId

    from flows.reconcile_all import reconcile_all

    started = time.perf_counter()
    parent = reconcile_all(window_start=hour, settings_file=str(settings_file), timeout_minutes=timeout / 60,
                           poll_seconds=0.5, return_state=True)
    wall = time.perf_counter() - started
    with get_client(sync_client=True) as client:
        runs = client.read_flow_runs(flow_run_filter=FlowRunFilter(
            parent_flow_run_id=FlowRunFilterParentFlowRunId(any_=[parent.state_details.flow_run_id])))
    states: dict[str, int] = {}
    for run in runs:
        states[run.state.name] = states.get(run.state.name, 0) + 1
    durations = [(r.end_time - r.start_time).total_seconds() for r in runs if r.start_time and r.end_time]
    return wall, durations, states


# --- tenants and their warehouses ------------------------------------------------------------------


class Catalog:
    """DuckLake's catalog: one PostgreSQL server and database for every shop, one schema per shop."""

    def __init__(self) -> None:
        self.server = PostgresServer().start()
        self.dbname = "lake"
        self.dsn = self.server.create_database(self.dbname)

    def stats(self, schemas: list[str]) -> dict[str, float]:
        """The catalog database's counters now (milliseconds and counts since the server started)."""
        import psycopg
        from psycopg import sql

        with psycopg.connect(self.dsn, autocommit=True) as con:
            # the shops' metadata schemas are names this script made; one snapshot per DuckLake commit
            present = {r[0] for r in con.execute("select schema_name from information_schema.schemata")}
            snapshots = sum(con.execute(sql.SQL("select count(*) from {}.ducklake_snapshot").format(
                sql.Identifier(name))).fetchone()[0] for name in schemas if name in present)
            con.execute("select pg_stat_clear_snapshot()")
            row = con.execute(
                "select active_time, idle_in_transaction_time, session_time, sessions, xact_commit, "
                "xact_rollback, deadlocks, tup_inserted + tup_updated + tup_deleted, pg_database_size(datname) "
                "from pg_stat_database where datname = %s", (self.dbname,)).fetchone()
        names = ("active_ms", "idle_in_transaction_ms", "session_ms", "sessions", "commits", "rollbacks",
                 "deadlocks", "rows_written", "size_bytes")
        return dict(zip(names, (float(v) for v in row), strict=True)) | {"snapshots": float(snapshots)}

    def stop(self) -> None:
        self.server.stop()


def write_tenants(folder: Path, n: int, warehouse: str, shop: Shop, catalog: Catalog | None) -> Path:
    """A settings file with tenants/ beside it: the demo shop, one seed per tenant; the settings file."""
    tenants = folder / "tenants"
    tenants.mkdir(parents=True, exist_ok=True)
    home = str(folder / "{tenant}")
    store = {"path": f"{home}/warehouse.duckdb"}
    if warehouse == "ducklake":
        # one catalog database, a metadata schema and a data folder per shop
        store |= {"kind": "ducklake", "catalog": f"postgres:{catalog.dsn}",
                  "data_path": f"{folder}/lake/{{tenant}}/", "metadata_schema": "{tenant}"}
    shared = {
        "warehouse": store,
        "source": {"kind": "demo", "folder": f"{home}/feed"},
        "demo": {"days": shop.days, "orders_per_hour": shop.orders_per_hour},
        "ledger": {"export_dir": f"{home}/exports"},
        "report": {"dir": f"{home}/reports"},
    }
    (tenants / "defaults.yaml").write_text(yaml.safe_dump(shared))
    for i in range(n):
        (tenants / f"shop_{i:02d}.yaml").write_text(yaml.safe_dump({"demo": {"seed": 7 + i}}))
    settings = folder / "settings.yaml"
    settings.write_text("# the shops are in tenants/\nretention: {}\n")
    return settings


def reconcile_hour(cluster: PrefectCluster, settings: Path, tenants: int, hour: datetime, workers: int, warehouse: str,
                   catalog: Catalog | None, timeout: float) -> Hour:
    schemas = [f"shop_{i:02d}" for i in range(tenants)]
    before = catalog.stats(schemas) if catalog else {}
    load_before = load()
    with cluster.client():
        wall, durations, states = fan_out(settings, hour, timeout)
    load_after = load()
    counters = {}
    if catalog:
        time.sleep(1.5)  # a backend flushes its counters at exit or after 1 s idle
        after = catalog.stats(schemas)
        counters = {k: after[k] - before[k] for k in after if k != "size_bytes"} | {"size_bytes": after["size_bytes"]}
    return Hour(tenants, workers, warehouse, hour.isoformat(), round(wall, 2),
                [round(d, 2) for d in durations], states, load_before, load_after, counters)


def run_group(cluster: PrefectCluster, folder: Path, tenants: int, warehouse: str, workers: list[int],
              repeats: int, shop: Shop, timeout: float) -> tuple[Hour, list[Hour]]:
    """The warm-up hour, then `repeats` hours per worker count, for one warehouse kind and tenant count."""
    catalog = Catalog() if warehouse == "ducklake" else None
    try:
        settings = write_tenants(folder, tenants, warehouse, shop, catalog)
        hours = iter(AS_OF - HOUR * (len(workers) * repeats + 1 - i) for i in range(len(workers) * repeats + 1))
        cluster.set_workers(max(workers))
        log(f"{warehouse}, {tenants} tenants: warm-up hour on {max(workers)} workers (load {load():.1f}) ...")
        warm = reconcile_hour(cluster, settings, tenants, next(hours), max(workers), warehouse, catalog, timeout)
        log(f"  warm-up {warm.wall_s:.1f}s {warm.states}")
        measured = []
        for n in workers:
            cluster.set_workers(n)
            for _ in range(repeats):
                hour = reconcile_hour(cluster, settings, tenants, next(hours), n, warehouse, catalog, timeout)
                log(f"  {n} workers, {hour.window_start[11:16]}Z: {hour.wall_s:.1f}s wall, "
                    f"{hour.per_minute:.2f} tenant-hours/min, {hour.states}, "
                    f"load {hour.load_before:.1f} -> {hour.load_after:.1f}"
                    + (f", catalog {hour.catalog['active_ms'] / 1000:.2f}s active" if catalog else ""))
                measured.append(hour)
        return warm, measured
    finally:
        cluster.stop_workers()
        if catalog:
            catalog.stop()


# --- figures ------------------------------------------------------------------------------------------


def summarise(hours: list[Hour]) -> list[dict]:
    """One row per (warehouse, tenants, workers): medians of the repeats."""
    groups: dict[tuple, list[Hour]] = {}
    for h in hours:
        groups.setdefault((h.warehouse, h.tenants, h.workers), []).append(h)
    rows = []
    for (warehouse, tenants, workers), hs in groups.items():
        wall = statistics.median(h.wall_s for h in hs)
        row = {
            "warehouse": warehouse, "tenants": tenants, "workers": workers, "repeats": len(hs),
            "per_minute": statistics.median(h.per_minute for h in hs),
            "wall_s": wall, "run_s": statistics.median(r for h in hs for r in h.run_s),
            "failed": sum(n for h in hs for s, n in h.states.items() if s not in OK_STATES),
            "load": (min(h.load_before for h in hs), max(h.load_after for h in hs)),
        }
        if warehouse == "ducklake":
            active = statistics.median(h.catalog["active_ms"] / 1000 for h in hs)
            busy = statistics.median(sum(h.run_s) for h in hs)
            row |= {"catalog_s": active,
                    "idle_in_transaction_s": statistics.median(h.catalog["idle_in_transaction_ms"] / 1000 for h in hs),
                    "catalog_wall": active / wall, "catalog_busy": active / busy,
                    "rollbacks": sum(h.catalog["rollbacks"] for h in hs),
                    "sessions": statistics.median(h.catalog["sessions"] for h in hs) / tenants,
                    "snapshots": statistics.median(h.catalog["snapshots"] for h in hs) / tenants,
                    "size_mb": max(h.catalog["size_bytes"] for h in hs) / 1e6}
        rows.append(row)
    return rows


def table(rows: list[dict]) -> str:
    lines = ["| warehouse | tenants | workers | repeats | tenant-hours/min (median) | wall s | run s (median) "
             "| catalog s | catalog / wall | catalog / run time | catalog idle in transaction s "
             "| catalog rollbacks | sessions per tenant-hour "
             "| DuckLake snapshots per tenant-hour | catalog MB | failed runs | load 1-min |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for r in rows:
        lake = r["warehouse"] == "ducklake"
        extra = (f"{r['catalog_s']:.2f} | {r['catalog_wall']:.0%} | {r['catalog_busy']:.0%} "
                 f"| {r['idle_in_transaction_s']:.1f} | {r['rollbacks']:.0f} "
                 f"| {r['sessions']:.1f} | {r['snapshots']:.0f} | {r['size_mb']:.1f}") if lake else "| | | | | | | "
        lines.append(f"| {r['warehouse']} | {r['tenants']} | {r['workers']} | {r['repeats']} | {r['per_minute']:.2f} "
                     f"| {r['wall_s']:.1f} | {r['run_s']:.1f} | {extra} | {r['failed']} "
                     f"| {r['load'][0]:.1f}–{r['load'][1]:.1f} |")
    return "\n".join(lines)


def run(tenants: list[int], workers: list[int], warehouses: list[str], repeats: int, shop: Shop,
        folder: Path, timeout: float = 3600) -> list[Hour]:
    """Every scenario on one Prefect server; the measured hours."""
    with start_cluster(folder) as cluster:
        measured = []
        for warehouse in warehouses:
            for n in tenants:
                group = folder / f"{warehouse}-{n}"
                _, hours = run_group(cluster, group, n, warehouse, workers, repeats, shop, timeout)
                measured += hours
                shutil.rmtree(group, ignore_errors=True)
        return measured


def commit() -> str:
    done = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=REPO)
    return done.stdout.strip() or "unknown"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true",
                        help="a tiny shop (2 orders/h, 1 day); unless given: 1 tenant, 1 worker, DuckDB file, 1 repeat")
    parser.add_argument("--tenants", type=int, nargs="+", help="tenant counts (default 1 4 16)")
    parser.add_argument("--workers", type=int, nargs="+", help="worker counts (default 1 2)")
    parser.add_argument("--warehouses", nargs="+", choices=["duckdb", "ducklake"], help="(default both)")
    parser.add_argument("--repeats", type=int, help="measured hours per worker count (default 3)")
    parser.add_argument("--json", type=Path, help="also write every measured hour here")
    args = parser.parse_args(argv)
    shop = Shop(orders_per_hour=2, days=1) if args.quick else Shop()
    quick = args.quick
    args.tenants = args.tenants or ([1] if quick else [1, 4, 16])
    args.workers = args.workers or ([1] if quick else [1, 2])
    args.warehouses = args.warehouses or (["duckdb"] if quick else ["duckdb", "ducklake"])
    args.repeats = args.repeats or (1 if quick else 3)
    log(f"{platform.node()} {os.cpu_count()} cores, commit {commit()}, {datetime.now(UTC):%Y-%m-%d %H:%MZ}, "
        f"load {os.getloadavg()}")
    with tempfile.TemporaryDirectory(prefix="retaguarda-bench-tenants-") as tmp:
        hours = run(args.tenants, args.workers, args.warehouses, args.repeats, shop, Path(tmp))
    if args.json:
        args.json.write_text(json.dumps([asdict(h) for h in hours], indent=1))
    print(table(summarise(hours)))


if __name__ == "__main__":
    main()
