"""Load a shop's whole history with one backfill of daily windows, and time it.

    uv run python -m bench.history                       # two years, ~3,000 orders
    uv run python -m bench.history --days 14 --orders 60  # a quick look

The simulator writes the demo shop's feed files for `--days` days up to `--end` (a local
midnight) at a rate that gives about `--orders` orders; they are merged into one file per
feed, as a shop's export comes, in a temporary folder source.
Then `flows.backfill.backfill(start=None, step="day")` runs as `retaguarda backfill --step
day --from-data` does: it lands the files, finds the earliest timestamp and reconciles
every local day up to `--end`, in one flow run. Printed: the world's size, the total wall
time, and the median, 90th percentile and slowest window from audit.runs.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import yaml

from retaguarda.window import HOUR

END = datetime(2026, 11, 1, 3, 0, tzinfo=UTC)  # midnight in Sao Paulo


def write_world(folder: Path, days: int, orders: int, end: datetime, seed: int = 7) -> dict:
    """The simulator's files for `days` days up to `end`, about `orders` orders in all."""
    from simulator import simulate

    return simulate(folder, start=end - HOUR, end=end, seed=seed,
                    orders_per_hour=orders / (days * 24), history_days=days - 1 / 24)


def as_export(folder: Path) -> int:
    """Merge the simulator's hourly files into one file per feed, in time order, as a shop's export is.

    Same rows, same order: the CSVs keep one header, the JSON-lines files are joined, and the
    order pages become one page. Returns the files merged.
    """
    merged = 0
    feeds = {(path.parent, path.name.split("-", 1)[1]) for path in folder.glob("*/*-*")}
    for parent, kind in sorted(f for f in feeds if not f[1].startswith("page-")):
        parts = sorted(parent.glob(f"*-{kind}"))  # hour-stamped names: time order
        target = parent / f"history-{kind}"
        with target.open("w") as out:
            for number, part in enumerate(parts):
                lines = part.read_text().splitlines(keepends=True)
                out.writelines(lines[1:] if number and kind.endswith(".csv") else lines)
                part.unlink()
                merged += 1
    pages = sorted((folder / "orders").glob("*page-*.json"))
    if pages:
        orders = [order for page in pages for order in json.loads(page.read_text())["orders"]]
        for page in pages:
            page.unlink()
        merged += len(pages)
        (folder / "orders" / "history-page-0001.json").write_text(
            json.dumps({"page": 1, "next_page": None, "orders": orders}))
    return merged


def write_settings(folder: Path, feed: Path) -> Path:
    """Settings for a folder source in `folder`: warehouse, reports and exports beside them."""
    path = folder / "settings.yaml"
    path.write_text(yaml.safe_dump({
        "warehouse": {"path": str(folder / "warehouse.duckdb")},
        "source": {"kind": "folder", "folder": str(feed)},
        "ledger": {"export_dir": str(folder / "exports")},
        "report": {"dir": str(folder / "reports")},
    }))
    return path


def window_seconds(warehouse: Path) -> list[float]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "select epoch(finished_at) - epoch(started_at) from audit.runs where status = 'completed' "
            "order by window_start"
        ).fetchall()
    finally:
        con.close()
    return [row[0] for row in rows]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=730)
    parser.add_argument("--orders", type=int, default=3000)
    parser.add_argument("--end", type=datetime.fromisoformat, default=END, help="a local midnight, with zone")
    args = parser.parse_args(argv)
    from flows.backfill import backfill

    with tempfile.TemporaryDirectory(prefix="retaguarda-history-") as tmp:
        folder = Path(tmp)
        began = time.perf_counter()
        world = write_world(folder / "feed", args.days, args.orders, args.end)
        world["files_merged"] = as_export(folder / "feed")
        simulated = time.perf_counter() - began
        settings = write_settings(folder, folder / "feed")
        began = time.perf_counter()
        summaries = backfill(start=None, end=args.end, settings_file=str(settings), step="day")
        total = time.perf_counter() - began
        seconds = sorted(window_seconds(folder / "warehouse.duckdb"))
        orders = duckdb.connect(str(folder / "warehouse.duckdb"), read_only=True).execute(
            "select count(distinct order_id) from raw.orders").fetchone()[0]
    figures = {
        "days": args.days, "orders": orders, "hours_written": world["hours_written"],
        "files_merged": world["files_merged"],
        "simulate_s": round(simulated, 1), "windows": len(summaries), "backfill_s": round(total, 1),
        "window_median_s": round(statistics.median(seconds), 2),
        "window_p90_s": round(seconds[int(0.9 * (len(seconds) - 1))], 2), "window_max_s": round(seconds[-1], 2),
        "last_window_exceptions": sum(summaries[-1].exceptions.values()),
    }
    print(json.dumps(figures, indent=1))


if __name__ == "__main__":
    main()
