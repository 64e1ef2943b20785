"""Run each check's SQL once per run, into a work table that validation reads and publish swaps in."""

from __future__ import annotations

from datetime import datetime

import duckdb
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from expectations.catalog import Check, Suite, all_checks
from warehouse.database import identifier

# The run's own tables: not published data. Each run replaces them before validating.
WORK_SCHEMA = "work"
# Columns every exception table starts with; the check's evidence columns follow.
EXCEPTION_COLUMNS = (
    "check_id", "stage", "severity", "owner", "entity_type", "entity_id", "amount_at_risk", "as_of", "began_at",
)


class StaleWorkError(RuntimeError):
    """The work tables are missing or were materialised for another window."""


def work_table(check: Check) -> str:
    return f"{WORK_SCHEMA}.{identifier(check.id)}"


def _materialise(con: duckdb.DuckDBPyConnection, check: Check, as_of: datetime, evaluated: bool) -> int:
    # A check not evaluated gets its table's shape and no rows: it yields no exceptions.
    con.execute(
        f"""
        create or replace table {work_table(check)} as
        with found as ({check.sql})
        select
            ?::varchar as check_id, ?::varchar as stage, ?::varchar as severity,
            ?::varchar as owner, ?::varchar as entity_type, entity_id,
            amount_at_risk::decimal(18, 2) as amount_at_risk, ?::timestamptz as as_of,
            -- when the problem began, by the check's own rule; never after the run's as_of
            least(found.began_at::timestamptz, ?::timestamptz) as began_at,
            found.* exclude (entity_id, amount_at_risk, began_at)
        from found
        where ?
        order by entity_id
        """,
        [check.id, check.stage, check.severity, check.owner, check.entity, as_of, as_of, evaluated],
    )
    return con.execute(f"select count(*) from {work_table(check)}").fetchone()[0]


def materialise_checks(
    con: duckdb.DuckDBPyConnection, suites: tuple[Suite, ...], as_of: datetime,
    not_evaluated: dict[str, str] | None = None,
) -> dict[str, int]:
    """Every check's rows as of `as_of` into work.<check id>; rows per check.

    The run's SQL variables must already be bound on `con` (build_models binds them).
    work.checks records which window the tables hold, so publish never swaps in another's,
    and which checks were not evaluated (check id -> reason, tasks/applicability.py): their
    tables stay empty, validation skips them and publish leaves their ledger rows alone.
    """
    skipped = not_evaluated or {}
    con.execute(f"drop schema if exists {WORK_SCHEMA} cascade")
    con.execute(f"create schema {WORK_SCHEMA}")
    counts = {check.id: _materialise(con, check, as_of, check.id not in skipped) for check in all_checks(suites)}
    con.execute(
        f"create table {WORK_SCHEMA}.checks (check_id varchar, as_of timestamptz, row_count bigint, reason varchar)"
    )
    con.executemany(f"insert into {WORK_SCHEMA}.checks values (?, ?, ?, ?)",
                    [[check_id, as_of, rows, skipped.get(check_id)] for check_id, rows in counts.items()])
    return counts


def not_evaluated_checks(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    """check id -> reason, for the materialised checks this run did not evaluate."""
    return dict(
        con.execute(f"select check_id, reason from {WORK_SCHEMA}.checks where reason is not null").fetchall()
    )


def materialised_counts(
    con: duckdb.DuckDBPyConnection, checks: tuple[Check, ...], as_of: datetime
) -> dict[str, int]:
    """Rows per check in the work tables; raises unless every check was materialised for `as_of`."""
    present = con.execute(
        "select count(*) from information_schema.tables where table_schema = ? and table_name = 'checks'",
        [WORK_SCHEMA],
    ).fetchone()[0]
    if not present:  # checked first: an unknown table name would make DuckDB scan a Python variable
        raise StaleWorkError("no work tables: materialise the checks before validating or publishing")
    rows = con.execute(f"select check_id, as_of, row_count from {WORK_SCHEMA}.checks").fetchall()
    found = {check_id: (when, count) for check_id, when, count in rows}
    stale = sorted(check.id for check in checks if found.get(check.id, (None,))[0] != as_of)
    if stale:
        raise StaleWorkError(f"work tables not materialised for {as_of.isoformat()}: {stale}")
    return {check.id: found[check.id][1] for check in checks}


@task(name="materialise-checks", cache_policy=NO_CACHE)
def materialise_checks_task(
    con: duckdb.DuckDBPyConnection, suites: tuple[Suite, ...], as_of: datetime,
    not_evaluated: dict[str, str] | None = None,
) -> dict[str, int]:
    """Run every evaluated check's SQL once, into the run's work tables."""
    counts = materialise_checks(con, suites, as_of, not_evaluated)
    get_run_logger().info("checks materialised: %s rows in %s tables", sum(counts.values()), len(counts))
    return counts
