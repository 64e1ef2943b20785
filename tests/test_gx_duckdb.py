"""The GX-on-DuckDB adaptation: fails if a GX or duckdb-engine upgrade breaks it."""

from __future__ import annotations

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
