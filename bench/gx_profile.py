"""Where (a) spends its time: GX's SQL per metric kind."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa


def _kind(statement: str) -> str:
    """The GX metric a statement computes, from its shape."""
    s = " ".join(statement.split())
    if s.startswith("SELECT COUNT(*) as unexpected_row_count"):
        return "check: count(*) of its work table (unexpected_rows_query.row_count)"
    if s.startswith("select * from work."):  # the materialised rows (tasks/materialise.py)
        return "check: its work table, 200 rows fetched (unexpected_rows_query.table)"
    if s.startswith("select * from core."):
        return "batch: the asset's select * (once per batch)"
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
