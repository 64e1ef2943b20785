"""The run's validation pages and the managers' HTML report."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import duckdb
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from retaguarda.settings import Settings
from tasks.audit import RunSummary

if TYPE_CHECKING:
    from great_expectations.core.expectation_validation_result import ExpectationSuiteValidationResult


@task(name="build-report", cache_policy=NO_CACHE)
def build_report_task(
    con: duckdb.DuckDBPyConnection,
    settings: Settings,
    summary: RunSummary,
    validations: list[ExpectationSuiteValidationResult],
) -> Path:
    """Pages of the run's GX validation results, then the managers' HTML report linking to them."""
    # the renderer (jinja2, babel, charts) loads when a run publishes, not with the flow
    from report.build import build_report
    from report.data_docs import DATA_DOCS_DIR, build_data_docs

    build_data_docs(
        validations, settings.report.dir / DATA_DOCS_DIR, run_name=summary.run_id, run_time=summary.window.end
    )
    path = build_report(con, settings, summary.run_id)
    get_run_logger().info("report: %s", path)
    return path
