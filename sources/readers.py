"""Read one source file (CSV, JSON, JSON lines, Parquet; gzip too) into records.

Nothing is dropped here: a row that cannot be parsed becomes a record with a problem and
its raw text, and a file that cannot be parsed at all becomes one such record (row 0).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import zlib
from dataclasses import dataclass, field, replace
from typing import Any

import polars as pl

from sources.problems import MALFORMED_ROW, TRUNCATED_ROW, UNREADABLE_FILE, Problem

KEEP_TEXT_CHARS = 1_000_000  # an unreadable file's text kept in its quarantine record


@dataclass(frozen=True)
class Record:
    row_number: int  # data row (CSV), line (JSON lines), element (JSON); 0 = the whole file
    fields: dict[str, Any] | None  # None when the row could not be parsed
    raw: str  # the record as read, JSON text
    problem: Problem | None = None
    file: str | None = None  # where it came from, when not the batch's file (an API page)


@dataclass
class FileContent:
    columns: list[str]  # header, or top-level fields in order of first appearance
    records: list[Record]
    notes: list[str] = field(default_factory=list)  # file-level problems: empty, truncated, bad bytes
    fixed_columns: bool = False  # every record has every column (CSV, Parquet)


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)


def dig(document: Any, path: str) -> Any:
    """The value at a dotted path (data.items), or None."""
    for part in path.split("."):
        if not isinstance(document, dict) or part not in document:
            return None
        document = document[part]
    return document


def unreadable(detail: str, size: int, text: str | None) -> FileContent:
    record = {"size_bytes": size}
    if text is not None:
        record |= {"text": text[:KEEP_TEXT_CHARS], "text_complete": len(text) <= KEEP_TEXT_CHARS}
    problem = Problem(UNREADABLE_FILE, detail)
    return FileContent([], [Record(0, None, _json(record), problem)], [f"unreadable: {detail}"])


def gunzip(data: bytes) -> tuple[bytes, bool]:
    """The decompressed bytes, and whether the stream ended early (as much as could be read)."""
    out, rest = [], data
    while rest.strip(b"\0"):
        stream = zlib.decompressobj(wbits=31)
        try:
            out.append(stream.decompress(rest))
        except zlib.error:
            return b"".join(out), True
        if not stream.eof:
            return b"".join(out), True
        rest = stream.unused_data
    return b"".join(out), False


def decode(data: bytes, encoding: str) -> tuple[str, bool]:
    """Text, and whether undecodable bytes were replaced (those rows are then malformed)."""
    if codecs.lookup(encoding).name == "utf-8":
        encoding = "utf-8-sig"  # a byte-order mark must not become part of the first column name
    try:
        return data.decode(encoding), False
    except UnicodeDecodeError:
        return data.decode(encoding, errors="replace"), True


class _TakenLines:
    """Lines handed to csv.reader, remembered so a bad row keeps its raw text."""

    def __init__(self, lines: list[str], start: int) -> None:
        self._lines = lines
        self.line = start  # lines consumed so far, from the top of the file
        self.taken: list[str] = []

    def __iter__(self) -> _TakenLines:
        return self

    def __next__(self) -> str:
        if self.line >= len(self._lines):
            raise StopIteration
        line = self._lines[self.line]
        self.taken.append(line)
        self.line += 1
        return line


def parse_csv(text: str, delimiter: str) -> FileContent:
    """Rows of a CSV text; a bad row costs only its own first line.

    A stray quote makes csv read on across line ends, swallowing the rows after it until the
    quoting breaks. So when a row that spans several lines is not valid CSV, only its first
    line is quarantined and reading starts again on the next line: every later row is still
    read. A valid row with the wrong number of fields is kept out whole, whatever its lines.
    """
    all_lines = list(io.StringIO(text, newline=""))
    lines = _TakenLines(all_lines, 0)
    reader = csv.reader(lines, delimiter=delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        return FileContent([], [], ["empty file: no header row"], fixed_columns=True)
    except csv.Error as exc:
        return unreadable(f"header row is not CSV ({exc})", len(text), text)
    notes = []
    duplicated = sorted({name for name in header if header.count(name) > 1})
    if duplicated:
        notes.append("duplicate column names: " + ", ".join(duplicated) + " (the last one is used)")
    records: list[Record] = []
    while True:
        lines.taken = []
        first_line = lines.line + 1
        try:
            fields = next(reader)
            problem = None if not fields or len(fields) == len(header) else (
                f"line {first_line}: {len(fields)} fields, the header has {len(header)}"
            )
        except StopIteration:
            break
        except csv.Error as exc:
            fields, problem = None, f"line {first_line}: {exc}"
        if fields is None and len(lines.taken) > 1:
            # Keep the first line only, and read on from the next one with a fresh reader.
            lines = _TakenLines(all_lines, first_line)
            reader = csv.reader(lines, delimiter=delimiter, strict=True)
            text_of_row = all_lines[first_line - 1]
            raw = _json({"line": first_line, "text": text_of_row})
            detail = f"{problem} (a quote left open? only this line is kept out)"
            records.append(Record(len(records) + 1, None, raw, Problem(MALFORMED_ROW, detail)))
            continue
        if problem is not None:
            raw = _json({"line": first_line, "text": "".join(lines.taken), "fields": fields or []})
            records.append(Record(len(records) + 1, None, raw, Problem(MALFORMED_ROW, problem)))
            continue
        if not fields:
            continue  # a blank line holds no data
        row = dict(zip(header, fields, strict=True))
        records.append(Record(len(records) + 1, row, _json(row)))
    return FileContent(list(dict.fromkeys(header)), records, notes, fixed_columns=True)


def json_values(items: list[tuple[int, Any]], file: str | None = None) -> FileContent:
    """Records from parsed JSON values (row number, value); values that are not objects are malformed."""
    records, columns = [], {}
    for number, value in items:
        if isinstance(value, dict):
            columns.update(dict.fromkeys(value))
            records.append(Record(number, value, _json(value), file=file))
        else:
            problem = Problem(MALFORMED_ROW, f"row {number}: not a JSON object")
            records.append(Record(number, None, _json(value), problem, file))
    return FileContent(list(columns), records)


def parse_jsonl(text: str) -> FileContent:
    items, bad = [], {}
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            why = exc.msg if isinstance(exc, json.JSONDecodeError) else "nested too deeply"
            bad[number] = Record(number, None, _json({"line": number, "text": line[:KEEP_TEXT_CHARS]}),
                                 Problem(MALFORMED_ROW, f"line {number}: not JSON ({why})"))
            continue
        items.append((number, value))
    content = json_values(items)
    content.records = sorted(content.records + list(bad.values()), key=lambda record: record.row_number)
    if not text.strip():
        content.notes.append("empty file")
    return content


def parse_json(text: str, records_path: str | None) -> FileContent:
    if not text.strip():
        return FileContent([], [], ["empty file"])
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        return unreadable(f"not JSON: {exc.msg} at line {exc.lineno} column {exc.colno} (truncated?)", len(text), text)
    except RecursionError:
        return unreadable("not JSON this reader can follow: nested too deeply", len(text), text)
    items = dig(document, records_path) if records_path else document
    if not isinstance(items, list):
        where = f"at {records_path!r}" if records_path else "at the top (set records: to the field holding it)"
        return unreadable(f"no list of records {where}", len(text), text)
    return json_values(list(enumerate(items, start=1)))


def parse_parquet(data: bytes) -> FileContent:
    try:
        frame = pl.read_parquet(io.BytesIO(data))
    except (pl.exceptions.PolarsError, OSError, ValueError) as exc:
        return unreadable(f"not a Parquet file ({str(exc).splitlines()[0]})", len(data), None)
    rows = frame.to_dicts()
    records = [Record(number, row, _json(row)) for number, row in enumerate(rows, start=1)]
    notes = [] if rows else ["empty file"]
    return FileContent(frame.columns, records, notes, fixed_columns=True)


def read_records(
    data: bytes, name: str, fmt: str, *, delimiter: str = ",", encoding: str = "utf-8", records_path: str | None = None
) -> FileContent:
    """Every record of one file's bytes; `name` ending in .gz is decompressed first."""
    truncated = False
    if name.endswith(".gz"):
        data, truncated = gunzip(data)
    if fmt == "parquet":
        content = parse_parquet(data)
    else:
        text, bad_bytes = decode(data, encoding)
        if fmt == "csv":
            content = parse_csv(text, delimiter)
        elif fmt == "jsonl":
            content = parse_jsonl(text)
        else:
            content = parse_json(text, records_path)
        if bad_bytes:
            content.notes.append(f"bytes that are not valid {encoding}")
            problem = Problem(MALFORMED_ROW, f"bytes that are not valid {encoding}")
            content.records = [
                replace(r, fields=None, problem=problem) if r.problem is None and "\ufffd" in r.raw else r
                for r in content.records
            ]
        if truncated and content.records and not text.endswith(("\n", "\r")):
            last = content.records[-1]
            if last.row_number > 0:
                problem = Problem(TRUNCATED_ROW, f"row {last.row_number}: the gzip stream ends inside this row")
                content.records[-1] = replace(last, fields=None, problem=problem)
    if truncated:
        content.notes.append("gzip stream ends early: the file is truncated")
    return content
