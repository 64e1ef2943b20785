"""One batch (a file, or one pull of an API): records in, canonical frames and quarantine out."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import polars as pl

from sources.canonical import TABLES
from sources.casts import cast_failures
from sources.drift import schema_drift
from sources.mapping import SourceMap
from sources.problems import WRONG_TYPE, Problem
from sources.quarantine import Quarantined, conflicting_duplicates, keys_of
from sources.readers import FileContent
from sources.records import MappedRecord, RecordMapper


@dataclass
class Batch:
    rows_in: int
    tables: dict[str, pl.DataFrame]  # canonical columns as text, plus _row_number (and _file per row)
    quarantine: list[Quarantined]
    drift: list[str]  # schema drift and file-level problems, as sentences

    @property
    def rows_loaded(self) -> int:
        return self.rows_in - len(self.quarantine)


def _quarantined(table: str, mapped: MappedRecord) -> Quarantined:
    first = mapped.problems[0]
    details = [first.detail] + [
        p.detail if p.reason == first.reason else f"{p.reason}: {p.detail}" for p in mapped.problems[1:]
    ]
    record = mapped.record
    entity_key, order_id = keys_of(table, mapped.rows)
    return Quarantined(
        record.row_number, table, first.reason, "; ".join(details), record.raw, record.file, entity_key, order_id,
    )


def _refused_casts(mapped: list[MappedRecord], tables: list[str]) -> None:
    """Add a wrong_type problem to each record with a value staging's cast would refuse."""
    for table in tables:
        indexed = [(index, row) for index, m in enumerate(mapped) if not m.problems for row in m.rows.get(table, [])]
        if not indexed:
            continue
        columns = list(TABLES[table].columns)
        data = {column: [row[column] for _, row in indexed] for column in columns}
        data["_record"] = [index for index, _ in indexed]
        frame = pl.DataFrame(data, schema={column: pl.String for column in columns} | {"_record": pl.Int64})
        for index, detail in cast_failures(table, frame, "_record").items():
            mapped[index].problems.append(Problem(WRONG_TYPE, f"{table}.{detail}"))


def _frame(table: str, mapped: list[MappedRecord], with_file: bool) -> pl.DataFrame:
    columns = list(TABLES[table].columns)
    rows = [(m.record, row) for m in mapped for row in m.rows.get(table, [])]
    data: dict[str, list] = {column: [row[column] for _, row in rows] for column in columns}
    data["_row_number"] = [record.row_number for record, _ in rows]
    schema = {column: pl.String for column in columns} | {"_row_number": pl.Int64}
    if with_file:
        data["_file"] = [record.file for record, _ in rows]
        schema["_file"] = pl.String
    return pl.DataFrame(data, schema=schema)


def build_batch(source: SourceMap, default_timezone: str, content: FileContent) -> Batch:
    """Map every record; each one ends up in exactly one place: a raw table or the quarantine."""
    mapper = RecordMapper(source, default_timezone)
    mapped = [mapper.map(record) for record in content.records]
    for index, problem in conflicting_duplicates(mapped).items():
        mapped[index].problems.append(problem)
    _refused_casts(mapped, mapper.tables)
    loaded = [m for m in mapped if not m.problems]
    with_file = any(m.record.file is not None for m in mapped)
    drift = list(content.notes)
    if content.columns:
        drift += schema_drift(
            content.columns, mapper.expected_fields(), mapper.known_fields(),
            report_missing=content.fixed_columns, report_new=source.extra_columns == "report",
        )
    return Batch(
        rows_in=len(content.records),
        tables={table: _frame(table, loaded, with_file) for table in mapper.tables},
        quarantine=[_quarantined(source.table, m) for m in mapped if m.problems],
        drift=drift,
    )


def latest(frame: pl.DataFrame, column: str) -> datetime | None:
    """The latest canonical timestamp in a column (values are ISO-8601 UTC text)."""
    values = [datetime.fromisoformat(v) for v in frame.get_column(column).drop_nulls().to_list()]
    return max(values, default=None)
