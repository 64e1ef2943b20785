"""Publish a run: exception tables, ledger and history, swapped in with one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from expectations.catalog import Check, Suite, all_checks
from retaguarda.settings import Settings
from tasks.ledger import published_as_of, refresh_checks, update_ledger
from tasks.validate import ExpectationResult
from warehouse.database import identifier
from warehouse.publication import snapshot_publication

# Columns every exception table starts with; the check's evidence columns follow.
EXCEPTION_COLUMNS = (
    "check_id", "stage", "severity", "owner", "entity_type", "entity_id", "amount_at_risk", "as_of", "began_at",
)


def _materialise(con: duckdb.DuckDBPyConnection, check: Check, as_of: datetime) -> None:
    table = f"exceptions.{identifier(check.id)}"
    con.execute(
        f"""
        create or replace table {table} as
        with found as ({check.sql})
        select
            ?::varchar as check_id, ?::varchar as stage, ?::varchar as severity,
            ?::varchar as owner, ?::varchar as entity_type, entity_id,
            amount_at_risk::decimal(18, 2) as amount_at_risk, ?::timestamptz as as_of,
            -- when the problem began, by the check's own rule; never after the run's as_of
            least(found.began_at::timestamptz, ?::timestamptz) as began_at,
            found.* exclude (entity_id, amount_at_risk, began_at)
        from found
        order by entity_id
        """,
        [check.id, check.stage, check.severity, check.owner, check.entity, as_of, as_of],
    )


def _current_rows(con: duckdb.DuckDBPyConnection, check: Check) -> str:
    """SQL selecting one check's rows in the shape of exceptions.current."""
    table = f"exceptions.{identifier(check.id)}"
    columns = [row[0] for row in con.execute(f"describe {table}").fetchall()]
    evidence = ", ".join(
        f"{identifier(column)} := {identifier(column)}"
        for column in columns
        if column not in EXCEPTION_COLUMNS
    )
    return (
        f"select {', '.join(EXCEPTION_COLUMNS)}, "
        f"to_json(struct_pack({evidence}))::varchar as evidence from {table}"
    )


def publish_exceptions(con: duckdb.DuckDBPyConnection, checks: tuple[Check, ...], as_of: datetime) -> dict[str, int]:
    """Every check's table plus exceptions.current (all checks, evidence as JSON).

    Runs inside the caller's transaction, so readers see all tables change at once.
    """
    for check in checks:
        _materialise(con, check, as_of)
    union = " union all ".join(_current_rows(con, check) for check in checks)
    con.execute(f"create or replace table exceptions.current as {union} order by check_id, entity_id")
    rows = con.execute("select check_id, count(*) from exceptions.current group by check_id").fetchall()
    return {check.id: 0 for check in checks} | dict(rows)


@dataclass(frozen=True)
class Publication:
    counts: dict[str, int]  # check id -> exceptions found as of the window end
    events: dict[str, int]  # ledger event -> exceptions (new, reopened, escalated, resolved)
    published: bool  # False when a newer window is already published


def publish(
    con: duckdb.DuckDBPyConnection, suites: tuple[Suite, ...], settings: Settings, run_id: str, as_of: datetime
) -> Publication:
    """Swap in exception tables, ledger and history in one transaction.

    A window older than the published one (a backfill, a late retry) only counts its
    exceptions: it must not resolve what a newer run found.
    """
    checks = all_checks(suites)
    newest = published_as_of(con)
    if newest is not None and as_of < newest:
        counts = {check.id: con.execute(f"select count(*) from ({check.sql})").fetchone()[0] for check in checks}
        return Publication(counts=counts, events={}, published=False)
    con.execute("begin transaction")
    try:
        counts = publish_exceptions(con, checks, as_of)
        refresh_checks(con, suites, settings)
        events = update_ledger(con, run_id, as_of)
        snapshot_publication(con, run_id, as_of)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return Publication(counts=counts, events=events, published=True)


@task(name="publish-exceptions", cache_policy=NO_CACHE)
def publish_task(
    con: duckdb.DuckDBPyConnection,
    suites: tuple[Suite, ...],
    settings: Settings,
    results: list[ExpectationResult],
    run_id: str,
    as_of: datetime,
) -> Publication:
    """Swap in exception tables, ledger and history at once; counts must agree with GX's."""
    publication = publish(con, suites, settings, run_id, as_of)
    for result in results:
        if result.check_id != "contract" and result.unexpected_count != publication.counts[result.check_id]:
            raise RuntimeError(
                f"{result.check_id}: GX found {result.unexpected_count} rows, "
                f"the exception table has {publication.counts[result.check_id]}"
            )
    if not publication.published:
        get_run_logger().warning("a newer window is already published: ledger and exception tables left as they are")
    return publication
