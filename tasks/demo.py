"""The built-in demo back office as a feed source."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from retaguarda.settings import Settings


@task(name="generate-demo-feed", retries=1, cache_policy=NO_CACHE)
def generate_demo_feed(settings: Settings, end: datetime) -> Path:
    """Hand over the demo back office's files of every hour up to the window end not written yet."""
    from simulator import simulate

    demo = settings.demo
    summary = simulate(
        settings.source.folder,
        start=end - timedelta(hours=1),
        end=end,
        seed=demo.seed,
        orders_per_hour=demo.orders_per_hour,
        anomaly_rate=demo.anomaly_rate,
        history_days=demo.days - 1 / 24,
        calendar=settings.calendar.business_calendar(),
        thresholds=settings.thresholds.model_dump(),
    )
    get_run_logger().info("demo feed written to %s: %s", settings.source.folder, summary)
    return settings.source.folder
