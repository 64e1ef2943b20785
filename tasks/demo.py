"""The built-in demo back office as a feed source."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from retaguarda.settings import Settings


@task(name="generate-demo-feed", retries=1, cache_policy=NO_CACHE)
def generate_demo_feed(settings: Settings, end: datetime) -> Path:
    """Write the built-in demo back office's files for the days up to the window end."""
    from simulator import simulate

    demo = settings.demo
    summary = simulate(
        settings.source.folder,
        start=end - timedelta(days=demo.days),
        end=end,
        seed=demo.seed,
        orders_per_hour=demo.orders_per_hour,
        anomaly_rate=demo.anomaly_rate,
        calendar=settings.calendar.business_calendar(),
    )
    get_run_logger().info("demo feed written to %s: %s", settings.source.folder, summary)
    return settings.source.folder
