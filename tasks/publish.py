"""Publish a run: swap in the materialised exception tables, ledger and history in one transaction."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import duckdb
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from expectations.catalog import Check, Suite, all_checks
from retaguarda.settings import Settings
from tasks.alerts import queue_alert
from tasks.audit import RunRecord, record_completion
from tasks.ledger import published_as_of, refresh_checks, update_ledger
from tasks.materialise import EXCEPTION_COLUMNS, materialised_counts, not_evaluated_checks, work_table
from warehouse.database import identifier
from warehouse.lineage import lineage_tables, write_lineage
from warehouse.publication import snapshot_publication


def _swap_in(con: duckdb.DuckDBPyConnection, check: Check) -> None:
    """The check's work table becomes its exception table (a copy: DuckDB cannot move a table across schemas)."""
    con.execute(f"create or replace table exceptions.{identifier(check.id)} as select * from {work_table(check)}")


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


def publish_exceptions(con: duckdb.DuckDBPyConnection, checks: tuple[Check, ...]) -> None:
    """Every check's table plus exceptions.current (all checks, evidence as JSON).

    Runs inside the caller's transaction, so readers see all tables change at once.
    """
    for check in checks:
        _swap_in(con, check)
    union = " union all ".join(_current_rows(con, check) for check in checks)
    con.execute(f"create or replace table exceptions.current as {union} order by check_id, entity_id")


@dataclass(frozen=True)
class Publication:
    counts: dict[str, int]  # check id -> exceptions found as of the window end
    events: dict[str, int]  # ledger event -> exceptions (new, reopened, escalated, resolved)
    published: bool  # False when a newer window is already published


def publish(
    con: duckdb.DuckDBPyConnection, suites: tuple[Suite, ...], settings: Settings, run_id: str, as_of: datetime,
    run: RunRecord | None = None,
) -> Publication:
    """Swap in the run's materialised exception tables, ledger and history in one transaction.

    The same transaction queues the run's alert in the outbox and records the run (`run`) as
    completed: a publication, its alert and its completion exist together or not at all.
    A window older than the published one (a backfill, a late retry) only counts its
    exceptions: it must not resolve what a newer run found.
    """
    checks = all_checks(suites)
    counts = materialised_counts(con, checks, as_of)
    newest = published_as_of(con)
    if newest is not None and as_of < newest:
        return Publication(counts=counts, events={}, published=False)
    con.execute("begin transaction")
    try:
        publish_exceptions(con, checks)
        refresh_checks(con, suites, settings)
        # a check not evaluated leaves its ledger rows as they were: neither resolved nor refreshed
        events = update_ledger(con, run_id, as_of, keep=sorted(not_evaluated_checks(con)), tenant=settings.tenant)
        snapshot_publication(con, run_id, as_of)
        write_lineage(con, run_id, as_of, lineage_tables(checks))
        queue_alert(con, run_id, str(run.window) if run else f"{as_of:%Y-%m-%d %H:%M}Z", settings.alerts,
                    settings.tenant)
        if run is not None:
            record_completion(con, run)
        con.execute("commit")
    except BaseException:
        con.execute("rollback")
        raise
    return Publication(counts=counts, events=events, published=True)


@task(name="publish-exceptions", cache_policy=NO_CACHE)
def publish_task(
    con: duckdb.DuckDBPyConnection, suites: tuple[Suite, ...], settings: Settings, run_id: str, as_of: datetime,
    run: RunRecord | None = None,
) -> Publication:
    """Swap in the exception tables GX validated, then ledger and history, at once."""
    publication = publish(con, suites, settings, run_id, as_of, run)
    if not publication.published:
        get_run_logger().warning("a newer window is already published: ledger and exception tables left as they are")
        return publication
    failing = sum(1 for n in publication.counts.values() if n)
    changes = ", ".join(f"{n} {event}" for event, n in sorted(publication.events.items())) or "no change"
    get_run_logger().info(
        "published %d exceptions from %d failing checks of %d as of %s; ledger: %s",
        sum(publication.counts.values()), failing, len(publication.counts), f"{as_of:%Y-%m-%d %H:%M}Z", changes,
    )
    return publication
