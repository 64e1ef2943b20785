"""What the warehouse remembers about sources: files already landed, API high-water marks."""

from __future__ import annotations

from datetime import datetime

import duckdb


def already_landed(con: duckdb.DuckDBPyConnection, source: str, sha256: str) -> bool:
    """Whether this source landed this content before; the same file feeding two sources lands for each."""
    found = con.execute("select count(*) from audit.batches where source = ? and sha256 = ?", [source, sha256])
    return found.fetchone()[0] > 0


def high_water_mark(con: duckdb.DuckDBPyConnection, source: str) -> datetime | None:
    row = con.execute("select high_water_mark from audit.source_cursors where source = ?", [source]).fetchone()
    return row[0] if row else None


def advance_high_water_mark(
    con: duckdb.DuckDBPyConnection, source: str, mark: datetime, batch_id: str, now: datetime
) -> None:
    """Move the mark forward (never back), inside the caller's landing transaction."""
    con.execute(
        "insert into audit.source_cursors values (?, ?, ?, ?) "
        "on conflict (source) do update set high_water_mark = excluded.high_water_mark, "
        "batch_id = excluded.batch_id, updated_at = excluded.updated_at "
        "where excluded.high_water_mark > audit.source_cursors.high_water_mark",
        [source, mark, batch_id, now],
    )
