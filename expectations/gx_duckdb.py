"""Great Expectations on DuckDB, through one persisted connection.

GX 1.24 has no DuckDB dialect. Through duckdb-engine, its SQL execution engine opens
and closes a connection per query for dialects it does not list as needing a
persisted one, the fetched rows vanish, and every expectation fails with
`IndexError: list index out of range` (great_expectations #10738, #11579; a native
engine is proposed in PR #12084). Two small pieces fix it:

- DuckDBExecutionEngine keeps one connection for its lifetime, as GX already does
  for sqlite and SQL Server;
- DuckDBDatasource builds its SQLAlchemy engine on a cursor of the pipeline's own
  DuckDB connection, so GX sees the same database, session settings and variables
  (a second duckdb.connect() on the same file with other settings is refused).

tests/test_gx_duckdb.py fails if an upgrade of either library breaks this.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, Literal

import duckdb
import sqlalchemy as sa
from duckdb_engine import ConnectionWrapper
from great_expectations.compatibility import pydantic
from great_expectations.datasource.fluent.sql_datasource import SQLDatasource
from great_expectations.execution_engine.sqlalchemy_execution_engine import (
    SqlAlchemyExecutionEngine,
)

from warehouse.database import prepare_session, set_variables


class DuckDBExecutionEngine(SqlAlchemyExecutionEngine):
    @contextmanager
    def get_connection(self) -> Iterator[sa.Connection]:
        if not self._connection:
            self._connection = self.engine.connect()
        yield self._connection


class DuckDBDatasource(SQLDatasource):
    type: Literal["duckdb"] = "duckdb"  # type: ignore[assignment]
    connection_string: str = "duckdb://"
    _duckdb: Any = pydantic.PrivateAttr(None)
    _variables: dict = pydantic.PrivateAttr(default_factory=dict)

    @classmethod
    def on(
        cls, con: duckdb.DuckDBPyConnection, variables: dict[str, Any], name: str = "warehouse"
    ) -> DuckDBDatasource:
        datasource = cls(name=name)
        datasource._duckdb = con
        datasource._variables = dict(variables)
        return datasource

    def _cursor(self) -> ConnectionWrapper:
        cursor = self._duckdb.cursor()
        prepare_session(cursor)
        set_variables(cursor, self._variables)
        return ConnectionWrapper(cursor)

    def _create_engine(self) -> sa.Engine:
        if self._duckdb is None:
            raise RuntimeError("DuckDBDatasource needs a connection: build it with DuckDBDatasource.on()")
        return sa.create_engine("duckdb://", creator=self._cursor, poolclass=sa.StaticPool)

    def get_execution_engine(self) -> DuckDBExecutionEngine:
        if self._execution_engine is None:
            self._execution_engine = DuckDBExecutionEngine(
                engine=self.get_engine(), create_temp_table=False
            )
        return self._execution_engine
