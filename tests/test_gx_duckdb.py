"""The GX-on-DuckDB adaptation: fails if a GX or duckdb-engine upgrade breaks it."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import great_expectations as gx
import great_expectations.expectations as gxe

from expectations.gx_duckdb import DuckDBDatasource, DuckDBExecutionEngine


def _validate(con, variables, *expectations):
    context = gx.get_context(mode="ephemeral")
    datasource = context.data_sources.add_duckdb(DuckDBDatasource.on(con, variables))
    asset = datasource.add_query_asset("amounts", query="select * from core.amounts")
    batch = asset.add_batch_definition_whole_table("whole").get_batch()
    assert isinstance(datasource.get_execution_engine(), DuckDBExecutionEngine)
    suite = gx.ExpectationSuite(name="adapter", expectations=list(expectations))
    return batch.validate(suite, result_format="BASIC").results


def test_column_and_sql_expectations_count_every_unexpected_row(warehouse):
    warehouse.execute(
        "create table core.amounts as select i as id, case when i % 100 = 0 then -1 else i end as amount "
        "from range(1, 1001) as r(i)"
    )
    results = _validate(
        warehouse,
        {"floor": 0},
        gxe.ExpectColumnValuesToBeBetween(column="amount", min_value=0),
        gxe.ExpectColumnValuesToBeUnique(column="id"),
        # getvariable() proves GX runs on a session that sees the run's bound parameters.
        gxe.UnexpectedRowsExpectation(
            unexpected_rows_query="select * from core.amounts where amount < getvariable('floor')"
        ),
    )
    assert [(r.success, r.result.get("unexpected_count", r.result.get("observed_value"))) for r in results] == [
        (False, 10),
        (True, 0),
        (False, 10),
    ]


def test_gx_sees_data_written_by_the_pipeline_connection(warehouse):
    warehouse.execute("create table core.amounts as select 1 as id, 5 as amount")
    first = _validate(warehouse, {}, gxe.ExpectTableRowCountToEqual(value=1))
    warehouse.execute("insert into core.amounts values (2, 6)")
    second = _validate(warehouse, {}, gxe.ExpectTableRowCountToEqual(value=2))
    assert first[0].success and second[0].success


# report/data_docs.py writes its pages from these results: each test below pins what it reads.


def _results(warehouse, *suite_names):
    warehouse.execute("create or replace table core.amounts as select 1 as id, -5 as amount")
    context = gx.get_context(mode="ephemeral")
    datasource = context.data_sources.add_duckdb(DuckDBDatasource.on(warehouse, {}))
    batch = datasource.add_query_asset("amounts", query="select * from core.amounts").add_batch_definition_whole_table(
        "whole").get_batch()
    return [
        batch.validate(gx.ExpectationSuite(name=name, expectations=[
            gxe.ExpectColumnValuesToBeBetween(column="amount", min_value=0)]), result_format="BASIC")
        for name in suite_names
    ]


def test_validation_pages_render_each_suite_of_a_run_where_run_pages_looks(warehouse, tmp_path):
    from report.data_docs import build_data_docs, run_pages

    index = build_data_docs(_results(warehouse, "payment", "handover"), tmp_path, run_name="run-1",
                            run_time=datetime(2026, 11, 27, 15, tzinfo=UTC))
    pages = run_pages(tmp_path, "run-1")
    assert index.exists() and sorted(pages) == ["handover", "payment"]
    page = pages["payment"].read_text()
    # the validated column, GX's count of unexpected rows (1 of 1) and the value that broke it
    row = re.search(r'<tr class="failed">(.*?)</tr>', page, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    assert cells[1].startswith("expect_column_values_to_be_between") and cells[2] == "amount"
    assert cells[3:7] == ["failed", "1", "1", "100.00"] and cells[7] == "-5"
    assert "payment/" not in index.read_text() and "run-1/payment.html" in index.read_text()


def test_validation_pages_keep_the_newest_runs_on_disk(warehouse, tmp_path):
    from report.data_docs import build_data_docs, run_pages

    results = _results(warehouse, "payment")
    for hour in (15, 13, 14):  # built out of order: kept by run time
        build_data_docs(results, tmp_path, keep=2, run_name=f"run-{hour}",
                        run_time=datetime(2026, 11, 27, hour, tzinfo=UTC))
    assert [bool(run_pages(tmp_path, f"run-{hour}")) for hour in (13, 14, 15)] == [False, True, True]
    assert sorted(p.name for p in tmp_path.iterdir() if p.is_dir()) == ["run-14", "run-15"]
