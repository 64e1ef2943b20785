"""Build the warehouse models: staging history, staging as of the window, reference tables, core."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

import duckdb
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from retaguarda.settings import Settings
from tasks.reference import load_reference_tables
from warehouse.database import (
    CORE_MODELS,
    MACROS,
    STAGING_MODELS,
    fold,
    identifier,
    model_references,
    model_sql,
    run_model,
    set_variables,
)
from warehouse.incremental import (
    ORDER_SCOPED,
    build_fingerprint,
    changed_rows,
    folded_through,
    incremental_possible,
    run_scoped,
    save_build_state,
    scope_orders,
    take_previous_build,
)


def fold_raw(con: duckdb.DuckDBPyConnection, progress: Callable[[str], None] | None = None) -> dict[str, int]:
    """Fold the raw batches landed since the last build into staging.*_history; raw rows read per table."""
    return fold(con, progress=progress)


def build_models(con: duckdb.DuckDBPyConnection, settings: Settings, as_of: datetime) -> dict[str, int]:
    """Fold the new raw batches (one pass), build staging as of `as_of`, reference tables and core; rows per table.

    Core's order-grained models are recomputed only for the orders whose staging rows changed
    since the previous build (warehouse/incremental.py), unless this build must be full.
    """
    variables = settings.sql_variables(as_of)
    set_variables(con, variables)
    fold(con)
    fingerprint = build_fingerprint(variables, settings.carriers)
    previous = take_previous_build(con) if incremental_possible(con, CORE_MODELS) else None
    incremental = previous is not None and previous[0] == fingerprint
    changed = {table: changed_rows(con, table, previous[1], as_of, previous[2])
               for table in STAGING_MODELS} if incremental else {}
    counts: dict[str, int] = {}
    rebuilt: set[str] = set()
    for model in STAGING_MODELS:
        # a staging table none of whose entities changed, reading none that was rebuilt, stays as it is
        reads = {name for layer, name in model_references(model_sql("staging", model)) if layer == "staging"}
        if not incremental or changed[model] or reads & rebuilt:
            rebuilt.add(model)
            counts[f"staging.{model}"] = run_model(con, "staging", model, folded=True)
        else:
            counts[f"staging.{model}"] = con.execute(f"select count(*) from staging.{identifier(model)}").fetchone()[0]
    counts["core.business_calendar"] = load_reference_tables(con, settings, as_of)
    con.execute(MACROS.read_text())
    scoped = scope_orders(con, previous[1] if incremental else None, as_of)
    for model in CORE_MODELS:
        if incremental and model in ORDER_SCOPED:
            run_scoped(con, model)
        else:
            run_model(con, "core", model)
        counts[f"core.{model}"] = con.execute(f"select count(*) from core.{identifier(model)}").fetchone()[0]
    save_build_state(con, fingerprint, as_of, folded_through(con), incremental, scoped)
    for model in STAGING_MODELS:
        con.execute(f"drop table if exists changed_{identifier(model)}")
    con.execute("drop table scope_orders")
    return counts


def drop_derived(con: duckdb.DuckDBPyConnection) -> None:
    """Drop every staging and core table (history included) and forget which batches were folded."""
    con.execute("begin transaction")
    try:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('staging', 'core') and table_type = 'BASE TABLE' "
            "and not (table_schema = 'staging' and table_name = 'folded_batches')"
        ).fetchall()
        for schema, name in tables:
            con.execute(f"drop table {identifier(schema)}.{identifier(name)}")
        con.execute("delete from staging.folded_batches")
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise


def rebuild_models(
    con: duckdb.DuckDBPyConnection, settings: Settings, as_of: datetime, progress: Callable[[str], None]
) -> dict[str, int]:
    """Drop the derived layers and build them again from all of raw, as of `as_of`."""
    drop_derived(con)
    fold_raw(con, progress)
    progress(f"building staging and core as of {as_of:%Y-%m-%d %H:%MZ}")
    return build_models(con, settings, as_of)


@task(name="build-models", cache_policy=NO_CACHE)
def build_models_task(con: duckdb.DuckDBPyConnection, settings: Settings, as_of: datetime) -> dict[str, int]:
    """Fold new raw batches into the staging history; build staging as of the window, reference tables, core."""
    counts = build_models(con, settings, as_of)
    built = ", ".join(f"{table} {rows} rows" for table, rows in counts.items())
    get_run_logger().info("models built: %s", built)
    return counts
