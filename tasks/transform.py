"""Build the warehouse models: staging, reference tables, business-time macros, core."""

from __future__ import annotations

from datetime import datetime

import duckdb
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from retaguarda.settings import Settings
from tasks.reference import load_reference_tables
from warehouse.database import CORE_MODELS, MACROS, STAGING_MODELS, run_model, set_variables


def build_models(con: duckdb.DuckDBPyConnection, settings: Settings, as_of: datetime) -> dict[str, int]:
    """Rebuild every model as of `as_of`; returns rows per table."""
    set_variables(con, settings.sql_variables(as_of))
    counts = {f"staging.{model}": run_model(con, "staging", model) for model in STAGING_MODELS}
    counts["core.business_calendar"] = load_reference_tables(con, settings, as_of)
    con.execute(MACROS.read_text())
    counts |= {f"core.{model}": run_model(con, "core", model) for model in CORE_MODELS}
    return counts


@task(name="build-models", cache_policy=NO_CACHE)
def build_models_task(con: duckdb.DuckDBPyConnection, settings: Settings, as_of: datetime) -> dict[str, int]:
    """Rebuild staging (typed, latest per key), reference tables and core facts."""
    counts = build_models(con, settings, as_of)
    built = ", ".join(f"{table} {rows} rows" for table, rows in counts.items())
    get_run_logger().info("models built: %s", built)
    return counts
