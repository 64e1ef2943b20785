"""Quarantine decisions that need a whole batch or a run's files: conflicting duplicates, the rejection threshold."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass

import polars as pl

from sources.canonical import TABLES
from sources.problems import DUPLICATE_CONFLICT, Problem
from sources.records import MappedRecord


@dataclass(frozen=True)
class Quarantined:
    """One input row kept out of raw.*, with where it came from and why."""

    row_number: int
    table: str
    reason: str
    detail: str
    record: str  # the row as read, JSON text
    file: str | None = None  # when not the batch's file (an API page)
    entity_key: str | None = None  # the row's key as far as it could be read: order_id=ORD-1, ...
    order_id: str | None = None  # the order the row concerns, when it could be read


def keys_of(table: str, rows: dict[str, list[dict[str, str | None]]]) -> tuple[str | None, str | None]:
    """The entity key and order id of a quarantined record, from the columns that did convert."""
    main = (rows.get(table) or [{}])[0]
    parts = [f"{column}={main[column]}" for column in TABLES[table].entity_columns if main.get(column)]
    order_id = main.get("order_id")
    if order_id is None:  # a child row knows its order through its parent's columns
        order_id = next((row.get("order_id") for child in rows.values() for row in child if row.get("order_id")), None)
    return (", ".join(parts) or None), order_id


class RejectionThresholdExceeded(RuntimeError):
    """More of a source's rows were quarantined than the mapping file allows."""


def conflicting_duplicates(mapped: list[MappedRecord]) -> dict[int, Problem]:
    """Records (by index) sharing a key with another row of the batch whose content differs.

    Identical re-deliveries are kept (staging keeps one); for rows that disagree there is no
    telling which is right, so all of them go to quarantine.
    """
    groups: dict[tuple, list[tuple[int, tuple]]] = defaultdict(list)
    for index, record in enumerate(mapped):
        if record.problems:
            continue
        for table, rows in record.rows.items():
            key_columns = TABLES[table].key
            for row in rows:
                groups[(table, tuple(row[c] for c in key_columns))].append((index, tuple(row.values())))
    found: dict[int, Problem] = {}
    for (table, key), members in groups.items():
        if len({content for _, content in members}) < 2:
            continue
        key_text = ", ".join(f"{c}={v}" for c, v in zip(TABLES[table].key, key, strict=True))
        rows = sorted({mapped[index].record.row_number for index, _ in members})
        detail = f"{table} {key_text}: {len(members)} rows with different content (rows {', '.join(map(str, rows))})"
        for index, _ in members:
            found.setdefault(index, Problem(DUPLICATE_CONFLICT, detail))
    return found


RecordId = tuple[str | None, int]  # a record of a file: its _file (API pages; else None) and _row_number


def conflicts_across_files(files: list[dict[str, pl.DataFrame]]) -> list[dict[RecordId, Problem]]:
    """Per file (its raw tables' frames), the records sharing a key with a row of another file whose content differs.

    The files one run lands together have no order between them (they land at one time, and
    may come from different sources), so, as inside one batch, there is no telling which row
    is right: every row of such a key goes to quarantine. Identical rows are loaded.
    """
    found: list[dict[RecordId, Problem]] = [{} for _ in files]
    for table, model in TABLES.items():
        present = [(index, tables[table]) for index, tables in enumerate(files) if tables.get(table) is not None
                   and tables[table].height]
        if len(present) < 2:
            continue
        columns, key = list(model.columns), list(model.key)
        rows = pl.concat([
            frame.select(
                *columns, pl.lit(index, dtype=pl.Int64).alias("_index"),
                (pl.col("_file") if "_file" in frame.columns else pl.lit(None, dtype=pl.String)).alias("_record_file"),
                pl.col("_row_number"),
            )
            for index, frame in present
        ])
        rows = rows.with_columns(pl.struct(columns).hash().alias("_content"))
        clashing = (
            rows.group_by(key)
            .agg(pl.col("_content").n_unique().alias("contents"), pl.col("_index").n_unique().alias("files"))
            .filter((pl.col("contents") > 1) & (pl.col("files") > 1))
            .select(key)
        )
        if clashing.height == 0:
            continue
        members = rows.join(clashing, on=key, how="inner", nulls_equal=True)
        for group in members.partition_by(key, maintain_order=True):
            first = group.row(0, named=True)
            key_text = ", ".join(f"{column}={first[column]}" for column in key)
            detail = f"{table} {key_text}: {group.height} rows in {group['_index'].n_unique()} files disagree"
            for index, record_file, row_number in group.select("_index", "_record_file", "_row_number").iter_rows():
                found[index].setdefault((record_file, row_number), Problem(DUPLICATE_CONFLICT, detail))
    return found


def record_rows(tables: dict[str, pl.DataFrame], record: RecordId) -> dict[str, list[dict]]:
    """A record's canonical rows in a file's frames, table by table (the record as mapped)."""
    record_file, row_number = record
    rows = {}
    for table, frame in tables.items():
        match = pl.col("_row_number") == row_number
        if record_file is not None and "_file" in frame.columns:
            match &= pl.col("_file") == record_file
        picked = frame.filter(match).select(list(TABLES[table].columns)).to_dicts()
        if picked:
            rows[table] = picked
    return rows


def conflict_quarantined(tables: dict[str, pl.DataFrame], record: RecordId, problem: Problem) -> Quarantined:
    """The quarantine row of a record set aside by conflicts_across_files: its first table's, with its keys."""
    rows = record_rows(tables, record)
    table = next(iter(rows))
    entity_key, order_id = keys_of(table, rows)
    return Quarantined(
        record[1], table, problem.reason, problem.detail, json.dumps(rows, ensure_ascii=False), record[0],
        entity_key, order_id,
    )


def check_rejections(source: str, rows_in: int, rejected: list[tuple[str, Quarantined]], max_pct: float) -> None:
    """Fail when a source's quarantined share of this run's new rows is over max_rejected_pct."""
    if rows_in == 0 or 100 * len(rejected) / rows_in <= max_pct:
        return
    reasons = Counter(row.reason for _, row in rejected)
    examples = "\n".join(f"  {file} row {row.row_number}: {row.reason}: {row.detail}" for file, row in rejected[:5])
    raise RejectionThresholdExceeded(
        f"source {source}: {len(rejected)} of {rows_in} rows would be quarantined "
        f"({100 * len(rejected) / rows_in:.1f}%), over max_rejected_pct {max_pct:g} in the mapping file; "
        f"nothing from it was landed. Reasons: "
        + ", ".join(f"{reason} {n}" for reason, n in reasons.most_common())
        + f". First rows:\n{examples}\nFix the input or the mapping, or raise max_rejected_pct."
    )
