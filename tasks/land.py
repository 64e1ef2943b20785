"""Append extracted files to the raw schema with lineage, once per file content."""

from __future__ import annotations

import uuid
from datetime import datetime

import duckdb
import polars as pl

from tasks.extract import ExtractedFile
from warehouse.database import identifier


def already_landed(con: duckdb.DuckDBPyConnection, sha256: str) -> bool:
    return con.execute("select count(*) from audit.batches where sha256 = ?", [sha256]).fetchone()[0] > 0


def land_file(
    con: duckdb.DuckDBPyConnection, extracted: ExtractedFile, run_id: str, loaded_at: datetime
) -> int:
    """Land one file in one transaction; returns the rows loaded (0 if landed before)."""
    if already_landed(con, extracted.sha256):
        return 0
    batch_id = uuid.uuid4().hex
    con.execute("begin transaction")
    try:
        for table, frame in extracted.tables.items():
            incoming = frame.with_columns(
                pl.lit(extracted.feed).alias("_source"),
                pl.lit(batch_id).alias("_batch_id"),
                pl.lit(str(extracted.path)).alias("_file"),
                pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias("_row_number"),
                pl.lit(loaded_at).alias("_loaded_at"),
            ).to_arrow()
            con.register("incoming", incoming)
            con.execute(f"insert into raw.{identifier(table)} by name select * from incoming")
            con.unregister("incoming")
        con.execute(
            "insert into audit.batches values (?, ?, ?, ?, ?, ?, ?, 0, ?)",
            [batch_id, run_id, extracted.feed, str(extracted.path), extracted.sha256,
             extracted.rows_in, extracted.rows_in, loaded_at],
        )
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return extracted.rows_in
