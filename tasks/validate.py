"""Run the stage suites with Great Expectations inside DuckDB: contracts on the batch, checks on their work tables."""

from __future__ import annotations

import time
from dataclasses import dataclass
from types import ModuleType
from typing import TYPE_CHECKING, Any

import duckdb
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from expectations.catalog import Check, Suite, all_checks
from expectations.gx_import import great_expectations
from tasks.materialise import materialised_counts, not_evaluated_checks, work_table

if TYPE_CHECKING:  # GX is imported when a run validates, not with this module (docs/benchmarks.md)
    import great_expectations as gx
    import great_expectations.expectations as gxe
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResult


def _gxe() -> ModuleType:
    great_expectations()
    import great_expectations.expectations as gxe

    return gxe


@dataclass(frozen=True)
class ExpectationResult:
    suite: str
    check_id: str  # the check's id, or "contract" for a data-contract expectation
    expectation: str
    success: bool
    unexpected_count: int | None
    duration_s: float
    column: str | None = None  # a contract expectation's column

    def describe(self) -> str:
        return f"{self.expectation} on {self.column}" if self.column else self.expectation


def _check_expectation(check: Check, variables: dict[str, Any]) -> gxe.UnexpectedRowsExpectation:
    # GX reads the rows the run materialised (tasks/materialise.py), so the check's SQL runs
    # once per run. The query names its table rather than GX's {batch}; GX prints a notice
    # into the run log for every query without {batch}, so the batch is named in a block
    # comment (one GX substitutes and the database ignores).
    return _gxe().UnexpectedRowsExpectation(
        unexpected_rows_query=f"select * from {work_table(check)}\n/* stage batch: {{batch}} */",
        description=f"{check.id}: {check.catches}",
        meta={"check_id": check.id, "stage": check.stage, "severity": check.severity,
              "owner": check.owner, "entity": check.entity,
              # the SLA and tolerance values this run judged by (as_of is the run's, not the check's)
              "parameters": {name: variables[name] for name in check.parameters if name != "as_of"}},
    )


def contract_expectation(name: str, kwargs: dict[str, Any], meta: dict[str, Any]) -> gxe.Expectation:
    """A suite YAML's `expect_column_values_to_be_unique: {...}` as GX's public class ExpectColumnValuesToBeUnique."""
    return getattr(_gxe(), "".join(part.title() for part in name.split("_")))(**kwargs, meta=meta)


def build_suite(suite: Suite, variables: dict[str, Any], skip: frozenset[str] = frozenset()) -> gx.ExpectationSuite:
    """The stage's GX suite; the checks in `skip` (not evaluated this run) have no expectation in it."""
    expectations = [contract_expectation(name, kwargs, {"check_id": "contract"}) for name, kwargs in suite.contract]
    expectations += [_check_expectation(check, variables) for check in suite.checks if check.id not in skip]
    return great_expectations().ExpectationSuite(name=suite.stage, expectations=expectations)


def _raised(result: Any) -> bool:
    """GX reports a metric that failed to compute inside exception_info, flat or per metric."""
    info = result.exception_info or {}
    nested = [value for value in info.values() if isinstance(value, dict)]
    return bool(info.get("raised_exception")) or any(item.get("raised_exception") for item in nested)


def _unexpected_count(result: Any) -> int:
    if "unexpected_count" in result.result:
        return result.result["unexpected_count"] or 0
    return result.result.get("observed_value") or 0  # an empty batch has no observed rows


def validate_suites(
    con: duckdb.DuckDBPyConnection, variables: dict[str, Any], suites: tuple[Suite, ...]
) -> list[ExpectationResult]:
    """Validate every suite against its batch table; one result per expectation."""
    return validate_suites_with_results(con, variables, suites)[0]


def validate_suites_with_results(
    con: duckdb.DuckDBPyConnection, variables: dict[str, Any], suites: tuple[Suite, ...]
) -> tuple[list[ExpectationResult], list[ExpectationSuiteValidationResult]]:
    """validate_suites, plus GX's own result per suite (for Data Docs).

    The checks' rows must be materialised for this run's as_of: GX validates those tables.
    """
    materialised_counts(con, all_checks(suites), variables["as_of"])
    skip = frozenset(not_evaluated_checks(con))
    gx = great_expectations()  # first: it defers scipy.stats before any GX module loads
    from great_expectations.data_context.types.base import ProgressBarsConfig

    from expectations.gx_duckdb import DuckDBDatasource

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    datasource = context.data_sources.add_duckdb(DuckDBDatasource.on(con, variables))
    results = []
    validations = []
    for suite in suites:
        asset = datasource.add_query_asset(suite.stage, query=f"select * from {suite.batch}")
        batch = asset.add_batch_definition_whole_table("whole").get_batch()
        started = time.perf_counter()
        validation = batch.validate(build_suite(suite, variables, skip), result_format="BASIC")
        duration = time.perf_counter() - started
        validations.append(validation)
        for result in validation.results:
            config = result.expectation_config
            if _raised(result):
                raise RuntimeError(
                    f"suite {suite.stage}: {config.type} ({config.meta.get('check_id')}) "
                    f"could not be computed: {str(result.exception_info)[:2000]}"
                )
            results.append(
                ExpectationResult(
                    suite=suite.stage,
                    check_id=config.meta["check_id"],
                    expectation=config.type,
                    success=result.success,
                    unexpected_count=_unexpected_count(result),
                    duration_s=duration,
                    column=config.kwargs.get("column"),
                )
            )
    return results, validations


@task(name="validate-stages", cache_policy=NO_CACHE)
def validate_stages(
    con: duckdb.DuckDBPyConnection, variables: dict[str, Any], suites: tuple[Suite, ...]
) -> tuple[list[ExpectationResult], list[ExpectationSuiteValidationResult]]:
    """Run every stage suite with Great Expectations inside DuckDB."""
    results, validations = validate_suites_with_results(con, variables, suites)
    logger = get_run_logger()
    for result in results:
        logger.info(
            "%s %s %s: %s unexpected", result.suite, result.check_id, result.describe(), result.unexpected_count
        )
    return results, validations
