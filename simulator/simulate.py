"""`simulate`: the demo back office's hand-over files from the opening up to an instant."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from retaguarda.calendar import BusinessCalendar

from .handover import write_hours, write_truth
from .timeworld import HOUR, TimeWorld

WORLD_FILE = "world.json"


def _instant(t: datetime) -> int:
    if t.tzinfo is None:
        raise ValueError(f"times must be timezone-aware, got {t!r}")
    return int(t.timestamp())


def open_world(folder: Path, end: datetime, seed: int, days: float, orders_per_hour: float,
               anomaly_rate: float, calendar: BusinessCalendar | None = None,
               thresholds: dict | None = None) -> TimeWorld:
    """The folder's world: opened `days` before the first end asked of a fresh folder, then fixed."""
    folder = Path(folder)
    params = {"seed": seed, "orders_per_hour": orders_per_hour, "anomaly_rate": anomaly_rate}
    path = folder / WORLD_FILE
    if path.exists():
        saved = json.loads(path.read_text())
        if {k: saved.get(k) for k in params} != params:
            raise ValueError(f"{folder} holds another demo world ({saved}); use an empty folder for {params}")
        opened = int(saved["opened_epoch"])
    else:
        opened = _instant(end - timedelta(days=days))
        opened -= opened % HOUR
        folder.mkdir(parents=True, exist_ok=True)
        saved = {**params, "opened_epoch": opened,
                 "opened": datetime.fromtimestamp(opened, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")}
        path.write_text(json.dumps(saved, indent=2, sort_keys=True) + "\n")
    return TimeWorld(seed, opened, orders_per_hour, anomaly_rate, calendar, thresholds)


def simulate(
    out_dir: Path,
    start: datetime,
    end: datetime,
    seed: int = 7,
    orders_per_hour: float = 12,
    anomaly_rate: float = 0.03,
    history_days: float = 7.0,
    calendar: BusinessCalendar | None = None,
    thresholds: dict | None = None,
) -> dict[str, object]:
    """Write every hour's hand-over up to `end` that is not in out_dir yet, and the truth as of `end`.

    A fresh folder's shop opened `history_days` before `start`.
    """
    if end <= start:
        raise ValueError(f"end {end} must be after start {start}")
    if orders_per_hour <= 0 or history_days < 0:
        raise ValueError("orders_per_hour must be > 0 and history_days >= 0")
    days = history_days + (end - start).total_seconds() / 86400
    tw = open_world(Path(out_dir), end, seed, days, orders_per_hour, anomaly_rate, calendar, thresholds)
    last = _instant(end)
    hours = write_hours(tw, Path(out_dir), tw.opened, last)
    truth = write_truth(tw, Path(out_dir), last)
    return {"opened": tw.opened, "hours_written": hours, "truth_rows": truth}
