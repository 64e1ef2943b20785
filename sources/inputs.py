"""Select sources: read their inputs (each file once), run the select, map its rows like any record.

An input's rows become text columns named as the mapping says, plus `_file` and
`_row_number`, the position a select may carry into its output so a bad value is
quarantined with the input line it came from.
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from sources.batch import Batch, build_batch
from sources.canonical import TEXT
from sources.drift import schema_drift
from sources.mapping import Mapping, SourceMap
from sources.quarantine import Quarantined
from sources.readers import FileContent, Record, _json, read_records
from sources.records import ColumnRule, apply_rule
from sources.select_sql import LINEAGE, LINEAGE_SCHEMA, SelectError, empty_input, run
from sources.state import FileHashes

CACHED_FILES = 64  # parsed input files kept, so two selects (or two feeds) reading one file parse it once


@dataclass(frozen=True)
class InputFile:
    frame: pl.DataFrame  # the input's columns as text, plus _file and _row_number
    bad: tuple[Record, ...]  # rows that could not be parsed (malformed, truncated...)
    drift: tuple[str, ...]  # sentences: schema drift and file problems


_parsed: OrderedDict[tuple[str, str, str], InputFile] = OrderedDict()
files_parsed = 0  # how many input files were parsed in this process (the cache misses)


def _rules(source: SourceMap) -> list[ColumnRule]:
    return [
        ColumnRule(column=column, kind=TEXT, explicit=True, paths=tuple(spec.paths), constant=spec.value,
                   template=spec.template, default=spec.default)
        for column, spec in source.columns.items()
    ]


def _parse(source: SourceMap, path: Path, data: bytes) -> InputFile:
    content: FileContent = read_records(
        data, path.name, source.format_of(path),
        delimiter=source.delimiter, encoding=source.encoding, records_path=source.records,
    )
    rules = _rules(source)
    good = [record for record in content.records if record.problem is None and record.fields is not None]
    data_columns = {rule.column: [apply_rule(rule, record.fields, {})[0] for record in good] for rule in rules}
    frame = pl.DataFrame(
        data_columns | {"_file": [str(path)] * len(good), "_row_number": [record.row_number for record in good]},
        schema={rule.column: pl.String for rule in rules} | LINEAGE_SCHEMA,
    )
    drift = list(content.notes)
    if content.columns:
        expected = [(rule.column, (name,)) for rule in rules for name in rule.source_fields if rule.template]
        expected += [(rule.column, rule.paths) for rule in rules if rule.paths]
        known = {name for rule in rules for name in rule.source_fields}
        drift += schema_drift(content.columns, expected, known, report_missing=content.fixed_columns,
                              report_new=source.extra_columns == "report")
    bad = tuple(record for record in content.records if record.problem is not None or record.fields is None)
    return InputFile(frame, bad, tuple(f"{source.name}: {path.name}: {note}" for note in drift))


def read_input(source: SourceMap, path: Path, data: bytes | None, sha256: str) -> InputFile:
    """One input file, parsed at most once for the same source and content (read now if not yet)."""
    global files_parsed
    key = (source.model_dump_json(), str(path), sha256)
    if key in _parsed:
        _parsed.move_to_end(key)
        return _parsed[key]
    files_parsed += 1
    parsed = _parsed[key] = _parse(source, path, path.read_bytes() if data is None else data)
    while len(_parsed) > CACHED_FILES:
        _parsed.popitem(last=False)
    return parsed


@dataclass(frozen=True)
class SelectInput:
    """What a select will read this run: every file of each input, and their combined identity."""

    files: dict[str, list[tuple[Path, bytes | None, str]]]  # input name -> (path, bytes if read, sha256)
    sha256: str

    @property
    def label(self) -> str:
        return ", ".join(path.name for files in self.files.values() for path, _, _ in files) or "no input files"


def select_input(mapping: Mapping, source: SourceMap, hashes: FileHashes | None = None) -> SelectInput:
    """The files a select reads now; its identity is its SQL and the content of every input file.

    With hashes, an input file unchanged since it was last hashed is not opened here.
    """
    hashes = FileHashes({}) if hashes is None else hashes
    digest = hashlib.sha256(source.select.encode())
    files = {}
    for input_ in mapping.inputs_of(source):
        files[input_.name] = []
        for path in mapping.files_of(input_):
            sha256, data = hashes.sha256_of(path)
            files[input_.name].append((path, data, sha256))
        digest.update(f"\0{input_.name}\0".encode())
        for sha256 in sorted(sha256 for _, _, sha256 in files[input_.name]):
            digest.update(sha256.encode())
    return SelectInput(files, digest.hexdigest())


def build_select_batch(mapping: Mapping, source: SourceMap, found: SelectInput) -> Batch:
    """Run the select over its inputs' rows; its rows are then mapped and quarantined like a file's."""
    views, bad, drift = {}, [], []
    for input_ in mapping.inputs_of(source):
        parsed = [read_input(input_, path, data, sha256) for path, data, sha256 in found.files[input_.name]]
        frames = [file.frame for file in parsed]
        views[input_.name] = pl.concat(frames) if frames else empty_input(list(input_.columns))
        bad += [(path, record) for (path, _, _), file in zip(found.files[input_.name], parsed, strict=True)
                for record in file.bad]
        drift += [note for file in parsed for note in file.drift]
    try:
        columns, rows = run(source.select, views)
    except SelectError as exc:
        raise SelectError(f"source {source.name}: the select failed: {exc}") from exc
    records = []
    for number, values in enumerate(rows, start=1):
        row = dict(zip(columns, values, strict=True))
        position = row.get("_row_number")
        records.append(Record(
            row_number=position if isinstance(position, int) else number,
            fields={column: value for column, value in row.items() if column not in LINEAGE},
            raw=_json(row), file=row.get("_file"),
        ))
    content = FileContent([column for column in columns if column not in LINEAGE], records, fixed_columns=True)
    batch = build_batch(source, mapping.spec.timezone, content)
    # Input rows no select can see are quarantined by each select reading them: never dropped.
    batch.quarantine += [
        Quarantined(record.row_number, source.table, record.problem.reason, record.problem.detail, record.raw,
                    str(path))
        for path, record in bad
    ]
    batch.rows_in += len(bad)
    batch.drift = drift + batch.drift
    return batch
