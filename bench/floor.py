"""(b) The floor: every check and contract expectation as one plain DuckDB count query."""

from __future__ import annotations

import duckdb

from expectations.catalog import Suite
from warehouse.database import identifier


def _literal(value: object) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return repr(value)


def contract_sql(batch: str, name: str, kwargs: dict) -> str:
    """Rows failing one contract expectation, counted the way GX counts them.

    Map expectations other than not_null ignore nulls; `unique` counts every row whose value
    occurs more than once (GX's column_values.unique unexpected_count).
    """
    column = identifier(kwargs["column"])
    if name == "expect_column_values_to_not_be_null":
        return f"select count(*) from {batch} where {column} is null"
    if name == "expect_column_values_to_be_unique":
        return (
            f"select coalesce(sum(n), 0) from (select count(*) as n from {batch} "
            f"where {column} is not null group by {column} having count(*) > 1)"
        )
    if name == "expect_column_values_to_be_between":
        bounds = [f"{column} < {kwargs['min_value']!r}"] if kwargs.get("min_value") is not None else []
        bounds += [f"{column} > {kwargs['max_value']!r}"] if kwargs.get("max_value") is not None else []
        return f"select count(*) from {batch} where {column} is not null and ({' or '.join(bounds)})"
    if name == "expect_column_values_to_be_in_set":
        values = ", ".join(_literal(v) for v in kwargs["value_set"])
        return f"select count(*) from {batch} where {column} is not null and {column} not in ({values})"
    raise NotImplementedError(f"no plain-SQL floor for contract expectation {name}: add it to bench/floor.py")


def contract_counts(con: duckdb.DuckDBPyConnection, suites: tuple[Suite, ...]) -> dict[tuple[str, str], int]:
    """(suite, contract:<position>) -> rows failing that contract expectation."""
    return {
        (suite.stage, f"contract:{position}"): con.execute(contract_sql(suite.batch, name, kwargs)).fetchone()[0]
        for suite in suites
        for position, (name, kwargs) in enumerate(suite.contract)
    }


def check_counts(con: duckdb.DuckDBPyConnection, suites: tuple[Suite, ...]) -> dict[tuple[str, str], int]:
    """(suite, check id) -> offending rows."""
    return {
        (suite.stage, check.id): con.execute(f"select count(*) from ({check.sql})").fetchone()[0]
        for suite in suites
        for check in suite.checks
    }


def floor_counts(con: duckdb.DuckDBPyConnection, suites: tuple[Suite, ...]) -> dict[tuple[str, str], int]:
    """(suite, check id or contract:<position>) -> offending rows."""
    return contract_counts(con, suites) | check_counts(con, suites)
