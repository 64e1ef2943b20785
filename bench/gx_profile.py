"""Where (a) spends its time: GX's SQL per metric kind, and a leaner validate_suites.

`lean_validate_suites` is tasks.validate.validate_suites with the two changes that
docs/benchmarks.md recommends; the benchmark times it next to the original and checks it
returns the same counts.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, ClassVar

import duckdb
import great_expectations as gx
import great_expectations.expectations as gxe
import sqlalchemy as sa
from great_expectations.data_context.types.base import ProgressBarsConfig
from great_expectations.expectations.registry import get_expectation_impl

from expectations.catalog import Check, Suite
from expectations.gx_duckdb import DuckDBDatasource
from tasks.validate import ExpectationResult, _unexpected_count

# GX computes a sample of unexpected values for BASIC results; nobody reads it.
LEAN_RESULT_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 0}


class UnexpectedRowCountExpectation(gxe.UnexpectedRowsExpectation):
    """UnexpectedRowsExpectation without the `unexpected_rows_query.table` metric.

    That metric runs the whole check query and fetches 200 rows that a BASIC result
    throws away; the row count is a second full run of the same query.
    """

    metric_dependencies: ClassVar[tuple[str, ...]] = ("unexpected_rows_query.row_count",)

    def _validate(self, metrics: dict, runtime_configuration: dict | None = None,
                  execution_engine: Any = None) -> dict:
        count = metrics["unexpected_rows_query.row_count"]
        return {"success": count == 0, "result": {"observed_value": count}}


def _lean_check(check: Check) -> gxe.Expectation:
    return UnexpectedRowCountExpectation(
        unexpected_rows_query=check.sql,
        description=f"{check.id}: {check.catches}",
        meta={"check_id": check.id, "stage": check.stage, "severity": check.severity,
              "owner": check.owner, "entity": check.entity},
    )


def lean_validate_suites(
    con: duckdb.DuckDBPyConnection, variables: dict[str, Any], suites: tuple[Suite, ...]
) -> list[ExpectationResult]:
    """validate_suites with count-only check expectations and no unexpected-value samples."""
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    datasource = context.data_sources.add_duckdb(DuckDBDatasource.on(con, variables))
    results = []
    for suite in suites:
        asset = datasource.add_query_asset(suite.stage, query=f"select * from {suite.batch}")
        batch = asset.add_batch_definition_whole_table("whole").get_batch()
        expectations = [get_expectation_impl(name)(**kwargs, meta={"check_id": "contract"})
                        for name, kwargs in suite.contract]
        expectations += [_lean_check(check) for check in suite.checks]
        started = time.perf_counter()
        validation = batch.validate(gx.ExpectationSuite(name=suite.stage, expectations=expectations),
                                    result_format=LEAN_RESULT_FORMAT)
        duration = time.perf_counter() - started
        for result in validation.results:
            config = result.expectation_config
            count = _unexpected_count(result)
            if count is None:
                raise RuntimeError(f"suite {suite.stage}: {config.type} could not be computed")
            results.append(ExpectationResult(suite.stage, config.meta["check_id"], config.type,
                                             result.success, count, duration))
    return results


def _kind(statement: str) -> str:
    """The GX metric a statement computes, from its shape."""
    s = " ".join(statement.split())
    if s.startswith("SELECT COUNT(*) as unexpected_row_count"):
        return "check: count(*) of the check query (unexpected_rows_query.row_count)"
    if s.startswith("-- grain"):  # every expectations/sql file opens with its grain
        return "check: the check query itself, 200 rows fetched (unexpected_rows_query.table)"
    if s.startswith("select * from core."):
        return "batch: select * of the asset query (column reflection)"
    if "UnexpectedCountSubquery" in s:
        return "contract unique: count(*) over (partition by) (unexpected_count)"
    if "_num_rows" in s:
        return "contract unique: sample of 20 duplicates (unexpected_values)"
    if "AS unexpected_values" in s:
        return "contract: sample of 20 unexpected values (unexpected_values)"
    if '"table.row_count"' in s:
        return "contract: table.row_count"
    if s.startswith("SELECT sum(CASE"):
        return "contract: bundled map-expectation counts"
    return "other: " + s[:60]


@contextmanager
def statement_log() -> Iterator[dict[str, list[float]]]:
    """Seconds per SQL statement GX sends through SQLAlchemy, by metric kind."""
    log: dict[str, list[float]] = defaultdict(list)

    def before(conn, cursor, statement, parameters, context, executemany) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def after(conn, cursor, statement, parameters, context, executemany) -> None:
        log[_kind(statement)].append(time.perf_counter() - conn.info.pop("bench_started"))

    sa.event.listen(sa.Engine, "before_cursor_execute", before)
    sa.event.listen(sa.Engine, "after_cursor_execute", after)
    try:
        yield log
    finally:
        sa.event.remove(sa.Engine, "before_cursor_execute", before)
        sa.event.remove(sa.Engine, "after_cursor_execute", after)
