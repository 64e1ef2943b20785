"""Append extracted files to the raw schema with lineage, once per file content.

A batch lands in one transaction: its rows in raw.*, its quarantined rows in raw.quarantine,
its line in audit.batches (rows in = rows loaded + rows rejected) and, for an API pull, the
source's new high-water mark.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections import defaultdict
from datetime import datetime

import duckdb
import polars as pl
from prefect import get_run_logger, task
from prefect.cache_policies import NO_CACHE

from sources.quarantine import Quarantined, check_rejections, conflict_quarantined, conflicts_across_files
from sources.state import advance_high_water_mark
from sources.state import already_landed as already_landed
from tasks.extract import ExtractedFile
from warehouse.database import identifier

QUARANTINE_SCHEMA = {
    "table_name": pl.String, "reason": pl.String, "detail": pl.String, "record": pl.String,
    "entity_key": pl.String, "order_id": pl.String, "_file": pl.String, "_row_number": pl.Int64,
}


def _insert(con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame) -> None:
    con.register("incoming", frame.to_arrow())
    try:
        con.execute(f"insert into raw.{identifier(table)} by name select * from incoming")
    finally:
        con.unregister("incoming")


def _with_lineage(frame: pl.DataFrame, source: str, batch_id: str, file: str, loaded_at: datetime) -> pl.DataFrame:
    # Mapped sources carry each row's position in the source (and, for API pages, its URL).
    lineage = [
        pl.lit(source).alias("_source"), pl.lit(batch_id).alias("_batch_id"), pl.lit(loaded_at).alias("_loaded_at"),
    ]
    if "_file" not in frame.columns:
        lineage.append(pl.lit(file).alias("_file"))
    if "_row_number" not in frame.columns:
        lineage.append(pl.int_range(1, frame.height + 1, dtype=pl.Int64).alias("_row_number"))
    return frame.with_columns(lineage).with_columns(pl.col("_file").fill_null(file))


def _quarantine_frame(rows: tuple[Quarantined, ...]) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "table_name": [q.table for q in rows], "reason": [q.reason for q in rows],
            "detail": [q.detail for q in rows], "record": [q.record for q in rows],
            "entity_key": [q.entity_key for q in rows], "order_id": [q.order_id for q in rows],
            "_file": [q.file for q in rows], "_row_number": [q.row_number for q in rows],
        },
        schema=QUARANTINE_SCHEMA,
    )


def land_file(
    con: duckdb.DuckDBPyConnection, extracted: ExtractedFile, run_id: str, loaded_at: datetime
) -> int:
    """Land one file in one transaction; returns the rows loaded (0 if landed before)."""
    if already_landed(con, extracted.source or extracted.feed, extracted.sha256):
        return 0
    batch_id = uuid.uuid4().hex
    source, file = extracted.source or extracted.feed, str(extracted.path)
    con.execute("begin transaction")
    try:
        for table, frame in extracted.tables.items():
            _insert(con, table, _with_lineage(frame, source, batch_id, file, loaded_at))
        if extracted.quarantine:
            quarantined = _quarantine_frame(extracted.quarantine)
            _insert(con, "quarantine", _with_lineage(quarantined, source, batch_id, file, loaded_at))
        con.execute(
            "insert into audit.batches values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [batch_id, run_id, source, file, extracted.sha256,
             extracted.rows_in, extracted.rows_loaded, extracted.rows_rejected, loaded_at],
        )
        if extracted.cursor is not None:
            advance_high_water_mark(con, extracted.cursor.source, extracted.cursor.mark, batch_id, loaded_at)
        con.execute("commit")
    except Exception:
        con.execute("rollback")
        raise
    return extracted.rows_loaded


def set_aside_conflicts(files: list[ExtractedFile]) -> list[ExtractedFile]:
    """The files with each record that disagrees with another file on a key moved to their quarantine."""
    conflicts = conflicts_across_files([file.tables for file in files])
    changed = []
    for file, records in zip(files, conflicts, strict=True):
        if not records:
            changed.append(file)
            continue
        quarantined = tuple(conflict_quarantined(file.tables, record, problem) for record, problem in records.items())
        gone = pl.DataFrame({"_file": [f for f, _ in records], "_row_number": [n for _, n in records]},
                            schema={"_file": pl.String, "_row_number": pl.Int64})
        kept = {}
        for table, frame in file.tables.items():  # a record's rows in every table: an order with its lines
            on = ["_file", "_row_number"] if "_file" in frame.columns else ["_row_number"]
            kept[table] = frame.join(gone.select(on), on=on, how="anti", nulls_equal=True)
        changed.append(dataclasses.replace(file, tables=kept, quarantine=file.quarantine + quarantined))
    return changed


def land_files(
    con: duckdb.DuckDBPyConnection, extracted: list[ExtractedFile], run_id: str, loaded_at: datetime,
    max_rejected_pct: float | None = None,
) -> int:
    """Land new files; with a threshold, first fail if any source quarantines too large a share."""
    new = [file for file in extracted if not already_landed(con, file.source or file.feed, file.sha256)]
    new = set_aside_conflicts(new)
    if max_rejected_pct is not None:
        per_source: dict[str, list[ExtractedFile]] = defaultdict(list)
        for file in new:
            per_source[file.source or file.feed].append(file)
        for source, files in per_source.items():
            rejected = [(q.file or str(file.path), q) for file in files for q in file.quarantine]
            check_rejections(source, sum(file.rows_in for file in files), rejected, max_rejected_pct)
    return sum(land_file(con, file, run_id, loaded_at) for file in new)


@task(name="land-feed", cache_policy=NO_CACHE)
def land_feed(
    con: duckdb.DuckDBPyConnection, extracted: list[ExtractedFile], run_id: str, now: datetime,
    max_rejected_pct: float | None = None,
) -> int:
    """Append new files to raw with lineage, bad rows to raw.quarantine; a file landed before is skipped."""
    rows = land_files(con, extracted, run_id, now, max_rejected_pct)
    quarantined = sum(file.rows_rejected for file in extracted)
    get_run_logger().info("landed %d rows from %d files; %d rows quarantined", rows, len(extracted), quarantined)
    return rows
