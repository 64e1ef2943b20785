"""A simulated back office loaded into a DuckDB file with the project's own pipeline code."""

from __future__ import annotations

import shutil
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb

from retaguarda.settings import load_settings
from simulator import simulate
from tasks.extract import FEEDS, extract_folder
from tasks.land import land_file
from tasks.transform import build_models
from warehouse.database import connect, migrate

# A Friday afternoon, as in the tests: the window's week and the 14 days of simulated
# history before it include weekends, so business-hours checks have real work to do.
AS_OF = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
WINDOW_DAYS = 7
HISTORY_DAYS = 14  # trading history before the window: the shop opens this long before it


@dataclass
class World:
    con: duckdb.DuckDBPyConnection
    variables: dict[str, Any]
    order_lines: int  # rows of staging.order_lines: the size the benchmark is named after
    orders_per_hour: float
    model_rows: dict[str, int]


def log(message: str) -> None:
    print(message, flush=True)


def lines_per_order(workdir: Path, seed: int) -> float:
    """Measured on a small simulated world: the simulator's line mix is its own business."""
    from simulator.timeworld import HOUR, TimeWorld

    tw = TimeWorld(seed, int(AS_OF.timestamp()) - 48 * HOUR, orders_per_hour=200)
    orders = [o for b in tw.buckets(tw.opened, int(AS_OF.timestamp())) for o in b.orders]
    return sum(len(o.lines) for o in orders) / len(orders)


def orders_per_hour(target_lines: int, per_order: float) -> float:
    # The simulator's daily and weekly patterns average to orders_per_hour over whole weeks.
    hours = (WINDOW_DAYS + HISTORY_DAYS) * 24
    return round(target_lines / (per_order * hours), 2)


def _land_feeds(con: duckdb.DuckDBPyConnection, folder: Path) -> int:
    """Extract and land one file at a time, so only one file's frames are in memory."""
    run_id, now, rows = uuid.uuid4().hex, datetime.now(UTC), 0
    for feed in FEEDS:
        for extracted in extract_folder(folder, feed):
            rows += land_file(con, extracted, run_id, now)
    return rows


def build_world(workdir: Path, target_lines: int, seed: int = 7) -> World:
    """Simulate, land and model a world of about `target_lines` order lines under workdir."""
    started = time.perf_counter()
    per_hour = orders_per_hour(target_lines, lines_per_order(workdir, seed))
    log(f"  simulating {per_hour} orders/hour over {WINDOW_DAYS + HISTORY_DAYS} days ...")
    simulate(workdir / "feed", AS_OF - timedelta(days=WINDOW_DAYS), AS_OF, seed=seed,
             orders_per_hour=per_hour, anomaly_rate=0.03, history_days=HISTORY_DAYS)
    log(f"  simulated in {time.perf_counter() - started:.0f}s; extracting and landing ...")
    con = connect(workdir / "bench.duckdb")
    con.execute("set enable_progress_bar = false")  # DuckDB draws one for long model builds
    migrate(con, datetime.now(UTC))
    rows = _land_feeds(con, workdir / "feed")
    shutil.rmtree(workdir / "feed")  # 1 GB of files at 1M lines: not needed once landed
    log(f"  landed {rows:,} rows at {time.perf_counter() - started:.0f}s; building models ...")
    settings = load_settings(environ={})
    model_rows = build_models(con, settings, AS_OF)
    con.execute("checkpoint")
    log(f"  models built at {time.perf_counter() - started:.0f}s")
    return World(
        con=con,
        variables=settings.sql_variables(AS_OF),
        order_lines=model_rows["staging.order_lines"],
        orders_per_hour=per_hour,
        model_rows=model_rows,
    )
