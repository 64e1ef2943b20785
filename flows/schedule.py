"""The hourly schedule in one long-lived process: imports and Prefect's start paid once, not every hour.

    uv run retaguarda schedule                       # forever: each hour at minute 5
    uv run retaguarda schedule --minute 10 --runs 3
    uv run retaguarda -t loja-sp schedule            # one tenant's hours

Prefect's own `flow.serve` and process workers start every flow run in a fresh Python
process (`run_flow_in_subprocess`, a spawned interpreter), so each hourly run imports
Prefect, DuckDB, polars and Great Expectations again. This loop instead calls the flow in
this process: the first run pays the imports (and, without PREFECT_API_URL, the temporary
server's start); later runs reuse them. Each run is still a Prefect flow run, visible in
the UI of the server in use.

Windows are reconciled oldest first and never skipped: if a run fails, or the process
was busy past the next hour, the next wake-up runs every whole hour not yet done. One
process runs one window at a time; the warehouse's writer lock keeps it apart from a
backfill or a manual run.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

HOUR = timedelta(hours=1)


def next_wake(now: datetime, minute: int) -> datetime:
    """The next instant at `minute` past a UTC hour, strictly after `now`."""
    wake = now.astimezone(UTC).replace(minute=minute, second=0, microsecond=0)
    return wake if wake > now else wake + HOUR


def due_windows(last_done: datetime | None, now: datetime) -> list[datetime]:
    """The starts of the whole hours after `last_done` that have ended by `now` (just the last one at first)."""
    latest = now.astimezone(UTC).replace(minute=0, second=0, microsecond=0) - HOUR
    if last_done is None:
        return [latest]
    return [last_done + HOUR * k for k in range(1, int((latest - last_done) / HOUR) + 1)]


def run_schedule(
    run: Callable[[datetime], object],
    minute: int = 5,
    runs: int | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    sleep: Callable[[float], None] = time.sleep,
) -> list[datetime]:
    """Reconcile every due window at each wake-up; stop after `runs` windows (None: never). The windows run."""
    done: list[datetime] = []
    last: datetime | None = None
    while runs is None or len(done) < runs:
        for start in due_windows(last, now()):
            try:
                run(start)
            except Exception as exc:  # noqa: BLE001 - the run recorded it; the next wake-up retries
                print(f"window {start:%Y-%m-%d %H:%M}Z failed: {exc}", file=sys.stderr, flush=True)
                break
            last = start
            done.append(start)
            if runs is not None and len(done) >= runs:
                return done
        sleep(max((next_wake(now(), minute) - now()).total_seconds(), 0))
    return done


def run_hourly(
    settings_file: str | None, tenant: str | None = None, minute: int = 5, runs: int | None = None
) -> list[datetime]:
    """The hourly flow for one shop (`tenant`, or the single shop), in this process, for every due
    window (`retaguarda schedule`; Prefect already up)."""
    from flows.hourly_reconciliation import hourly_reconciliation

    def run(start: datetime) -> None:
        began = time.perf_counter()
        hourly_reconciliation(window_start=start, settings_file=settings_file, tenant=tenant)
        print(f"window {start:%Y-%m-%d %H:%M}Z done in {time.perf_counter() - began:.1f} s", flush=True)

    return run_schedule(run, minute=minute, runs=runs)
