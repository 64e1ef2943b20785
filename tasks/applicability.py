"""Decide, per run and per check, whether it is evaluated or, when not, why.

A check that cannot be judged (disabled in settings, no rows of a table it needs, a column it
needs empty in every row) is not evaluated: it yields no exceptions, and publish leaves its open
exceptions as they were, so a missing feed neither invents nor resolves anything. The reasons
and check-config's static decision are in tasks/check_reasons.py, which has no Prefect.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import duckdb
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from expectations.catalog import Check, Suite, all_checks
from sources.canonical import TABLES
from tasks.check_reasons import Reason, as_text, empty_column, reasons
from warehouse.database import SQL_DIR, identifier

VISIBLE_SQL = SQL_DIR / "applicability" / "visible.sql"


def decide(checks: Iterable[Check], visible: dict[tuple[str, str], tuple[int, int]]) -> dict[str, list[Reason]]:
    """check id -> reasons, for the checks not evaluated; `visible` from `visible_counts`."""
    rows = {table: count for (table, _), (count, _) in visible.items()}

    def column_reason(table: str, column: str) -> Reason | None:
        return empty_column(table, column) if visible[(table, column)][1] == 0 else None

    decided = {check.id: reasons(check, lambda table: rows[table] > 0, column_reason) for check in checks}
    return {check_id: why for check_id, why in decided.items() if why}


def visible_counts(con: duckdb.DuckDBPyConnection, checks: Iterable[Check]) -> dict[tuple[str, str], tuple[int, int]]:
    """(table, column) -> (rows visible as of the run, rows filling the column), for what the checks need.

    A table needed without a column is counted under its first key column, which staging always fills.
    """
    needed: set[tuple[str, str]] = set()
    for check in checks:
        needed.update((table, TABLES[table].key[0]) for table in check.needed_tables)
        needed.update(check.needed_columns)
    template = VISIBLE_SQL.read_text()
    counts = {}
    for table, column in sorted(needed):
        if column not in TABLES[table].columns:  # the allow-list: names from the canonical model only
            raise KeyError(f"{table}.{column} is not a canonical column")
        sql = template.replace("{table}", identifier(table)).replace("{column}", identifier(column))
        counts[(table, column)] = tuple(con.execute(sql).fetchone())
    return counts


def record_decisions(
    con: duckdb.DuckDBPyConnection, checks: Iterable[Check], not_evaluated: dict[str, list[Reason]], run_id: str,
    as_of: datetime,
) -> None:
    """One audit.check_runs row per check for this run (a re-decided run replaces its rows)."""
    con.execute("delete from audit.check_runs where run_id = ?", [run_id])
    con.executemany(
        "insert into audit.check_runs (run_id, as_of, check_id, evaluated, reason, reasons) "
        "values (?, ?, ?, ?, ?, ?::struct(code varchar, table_name varchar, column_name varchar)[])",
        [
            [run_id, as_of, check.id, check.id not in not_evaluated,
             as_text(why) if (why := not_evaluated.get(check.id)) else None,
             [reason.as_row() for reason in why] if why else None]
            for check in checks
        ],
    )


def decide_checks(
    con: duckdb.DuckDBPyConnection, suites: tuple[Suite, ...], run_id: str, as_of: datetime
) -> dict[str, str]:
    """Decide every check from the built staging tables, record it; the checks not evaluated, with why."""
    checks = all_checks(suites)
    not_evaluated = decide(checks, visible_counts(con, checks))
    record_decisions(con, checks, not_evaluated, run_id, as_of)
    return {check_id: as_text(why) for check_id, why in not_evaluated.items()}


@task(name="decide-applicability", cache_policy=NO_CACHE)
def decide_checks_task(
    con: duckdb.DuckDBPyConnection, suites: tuple[Suite, ...], run_id: str, as_of: datetime
) -> dict[str, str]:
    """Which checks this run can judge: the others are not evaluated, with the reason."""
    not_evaluated = decide_checks(con, suites, run_id, as_of)
    logger = get_run_logger()
    for check_id, reason in not_evaluated.items():
        logger.warning("%s not evaluated: %s", check_id, reason)
    return not_evaluated
