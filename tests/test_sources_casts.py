"""Landing tries staging's casts: the values DuckDB refuses are named by row and column."""

from __future__ import annotations

from datetime import UTC, datetime

import polars as pl

from sources.canonical import SQL_TYPES, TABLES
from sources.casts import cast_failures
from tasks.transform import fold_raw
from warehouse.database import connect, latest_macro_sql, migrate


def allocations(**columns: list[str | None]) -> pl.DataFrame:
    base = {column: ["x"] * 5 for column in TABLES["allocations"].columns}
    base |= {"line_no": ["1"] * 5, "quantity": ["1"] * 5, "allocated_at": ["2026-11-23T14:04:43Z"] * 5}
    return pl.DataFrame(base | columns | {"_i": [10, 11, 12, 13, 14]})


def test_the_values_duckdb_will_not_cast_are_found_by_row():
    frame = allocations(
        quantity=["1", "abc", "99999999999", None, "1"],
        allocated_at=["2026-11-23T14:04:43Z", "2026-11-23T14:04:43Z", "2026-11-23T14:04:43Z", "2026-02-30", "25:00"],
    )
    assert cast_failures("allocations", frame, "_i") == {
        11: "quantity: 'abc' does not cast to integer",
        12: "quantity: '99999999999' does not cast to integer",
        13: "allocated_at: '2026-02-30' does not cast to timestamptz",
        14: "allocated_at: '25:00' does not cast to timestamptz",
    }


def test_what_passes_the_check_passes_staging():
    """Every value the check accepts, DuckDB casts in the staging macro too (the same types)."""
    frame = allocations(quantity=["1", "-2147483648", "2147483647", " 7 ", None])
    assert cast_failures("allocations", frame, "_i") == {}
    con = connect(":memory:")
    migrate(con, datetime(2026, 1, 1, tzinfo=UTC))
    con.execute("set variable as_of = '2100-01-01'::timestamptz")
    lineage = "'s' as _source, 'b' as _batch_id, 'f' as _file, _i::bigint as _row_number, now() as _loaded_at"
    con.register("frame", frame.to_arrow())
    con.execute(f"insert into raw.allocations by name select * exclude (_i), {lineage} from frame")
    fold_raw(con)
    con.execute(latest_macro_sql("allocations"))
    assert con.execute("select count(*) from latest_allocations()").fetchone() == (1,)  # one allocation_id
    assert "integer" in {SQL_TYPES[kind] for kind in TABLES["allocations"].columns.values()}
