"""The mapping file: which sources feed which canonical raw table, and how (docs/sources.md).

Loaded once at the start of a run; every problem is reported at once, each with the
mapping file's name and the line it is on.
"""

from __future__ import annotations

import codecs
import glob
import re
from dataclasses import dataclass, field, replace
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from sources.canonical import ORDER_CHILDREN, TABLES, TIMESTAMP
from sources.convert import ISO, format_problem, parse_zone
from sources.select_sql import LINEAGE, SelectError, describe, type_problem
from sources.yaml_lines import YamlError, line_of, load_with_lines

# The canonical feed folder of docs/feeds.md as mapped sources: source.kind demo and folder.
BUILTIN_MAPPING = Path(__file__).resolve().parent / "canonical_feeds.yaml"
TEMPLATE_FIELD = re.compile(r"\{([^{}]+)\}")  # a field named in a template: "PED-{Número do pedido}"
SUFFIX_FORMATS = {".csv": "csv", ".json": "json", ".jsonl": "jsonl", ".ndjson": "jsonl", ".parquet": "parquet"}


class MappingError(ValueError):
    """A mapping file that cannot be used; each line of the message names the file and line."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def _listed(value: str | list[str] | None, default: Any) -> Any:
    """A setting given as one string or a list of them, as a list; `default` when not given."""
    if value is None:
        return default
    return [value] if isinstance(value, str) else list(value)


def _scalar_text(value: Any) -> Any:
    """YAML reads `0` or `1.5` as numbers; a constant or default is text like every raw value."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


class ColumnMap(_Strict):
    """How one canonical column is filled. A plain string is short for `from:`."""

    from_: str | list[str] | None = Field(None, alias="from")  # field, dotted path, or first non-empty of a list
    value: str | None = None  # a constant
    template: str | None = None  # derived: "{first_name} {last_name}"
    format: str | list[str] | None = None  # timestamps: strptime formats, 'iso' or 'epoch'
    timezone: str | None = None  # of naive timestamps in this column
    decimal_comma: bool | None = None  # decimals written 1.234,56 (default: the source's)
    values: dict[str, str] | None = None  # source value -> canonical value (case-insensitive)
    default: str | None = None  # when the source value is empty
    required: bool = False  # an empty value quarantines the row (key columns always are)

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        if isinstance(data, str | list):
            return {"from": data}
        if isinstance(data, dict):
            data = {k: _scalar_text(v) if k in ("value", "default") else v for k, v in data.items()}
            if isinstance(data.get("values"), dict):
                data["values"] = {_value_key(k): _scalar_text(v) for k, v in data["values"].items()}
        return data

    @model_validator(mode="after")
    def _one_origin(self) -> ColumnMap:
        origins = [name for name in ("from", "value", "template") if getattr(self, name if name != "from" else "from_")]
        if len(origins) > 1:
            raise ValueError(f"give only one of from, value, template (got {', '.join(origins)})")
        return self

    @property
    def paths(self) -> list[str]:
        return _listed(self.from_, [])

    @property
    def formats(self) -> list[str] | None:
        return _listed(self.format, None)


def _value_key(key: Any) -> str:
    if isinstance(key, bool):
        raise ValueError("a value key read as true/false: quote it, e.g. 'yes': paid")
    return str(key)


class ChildMap(_Strict):
    """Rows nested in each order record (its lines or payments)."""

    from_: str | None = Field(None, alias="from")  # the list field; default lines / payments
    columns: dict[str, ColumnMap] = {}


class Pagination(_Strict):
    kind: Literal["none", "page", "cursor", "link"] = "none"
    param: str | None = None  # query parameter carrying the page number or the cursor
    next: str | None = None  # field of the page with the next page number or cursor (dotted path)
    start: int = 1  # first page number (kind page)

    @model_validator(mode="after")
    def _complete(self) -> Pagination:
        if self.kind in ("page", "cursor") and not self.param:
            raise ValueError(f"pagination kind {self.kind} needs param, the query parameter to send")
        if self.kind == "cursor" and not self.next:
            raise ValueError("pagination kind cursor needs next, the field holding the next cursor")
        return self


class Incremental(_Strict):
    param: str  # query parameter sent with the high-water mark minus the lookback
    column: str = "updated_at"  # canonical timestamp column whose maximum is the new high-water mark
    lookback_minutes: float = Field(0, ge=0)  # re-read this much before the mark, for late writes
    start: str | None = None  # first run: pull from here (ISO-8601); default: everything


class Auth(_Strict):
    header: str = "Authorization"
    scheme: str | None = "Bearer"  # prefix of the header value; null sends the secret alone
    secret_block: str | None = None  # name of a Prefect Secret block
    env: str | None = None  # or an environment variable

    @model_validator(mode="after")
    def _one_place(self) -> Auth:
        if (self.secret_block is None) == (self.env is None):
            raise ValueError("give exactly one of secret_block (a Prefect Secret block) or env (a variable name)")
        return self


class HttpSource(_Strict):
    url: str
    params: dict[str, str] = {}
    records: str | None = None  # where the list of records is in each page (dotted path)
    pagination: Pagination = Pagination()
    incremental: Incremental | None = None
    auth: Auth | None = None
    timeout_seconds: float = Field(30, gt=0)
    max_attempts: int = Field(5, ge=1, le=20)
    backoff_seconds: float = Field(1, ge=0)  # first wait; doubles per attempt
    max_backoff_seconds: float = Field(60, ge=0)  # also caps Retry-After
    max_pages: int = Field(1000, ge=1)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise ValueError(f"not an http(s) URL: {value!r}")
        return value

    @field_validator("params", mode="before")
    @classmethod
    def _params_text(cls, value: Any) -> Any:
        return {k: _scalar_text(v) for k, v in value.items()} if isinstance(value, dict) else value


class SourceMap(_Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")  # recorded as _source
    table: str | None = None  # canonical raw table; without one the source is an input of selects
    files: str | list[str] | None = None  # globs, relative to the mapping file's folder
    http: HttpSource | None = None
    select: str | None = None  # DuckDB SQL over the inputs (by name) instead of files
    format: Literal["csv", "json", "jsonl", "parquet"] | None = None  # default: from the file suffix
    records: str | None = None  # json: where the list of records is (dotted path)
    delimiter: str = Field(",", min_length=1, max_length=1)
    encoding: str = "utf-8"
    timezone: str | None = None  # of naive timestamps; default the mapping's
    timestamp_format: str | list[str] | None = None  # default format of this source's timestamp columns
    decimal_comma: bool = False  # default for this source's decimal columns
    extra_columns: Literal["report", "ignore"] = "report"  # columns the mapping does not use
    columns: dict[str, ColumnMap] = {}
    order_lines: ChildMap | None = None  # with table orders: lines nested in each order
    payments: ChildMap | None = None  # with table orders: payments nested in each order

    @field_validator("columns", mode="before")
    @classmethod
    def _column_list(cls, value: Any) -> Any:
        # An input may just list the columns its selects read, each from the same-named field.
        return {name: name for name in value} if isinstance(value, list) else value

    @property
    def patterns(self) -> list[str]:
        return _listed(self.files, [])

    @property
    def feed(self) -> str | None:
        return TABLES[self.table].feed if self.table in TABLES else None

    @property
    def is_input(self) -> bool:
        return self.table is None

    @property
    def timestamp_formats(self) -> list[str]:
        return _listed(self.timestamp_format, [ISO])

    def children(self) -> dict[str, ChildMap]:
        return {table: child for table in ORDER_CHILDREN if (child := getattr(self, table)) is not None}

    def format_of(self, file: Path) -> str:
        if self.format:
            return self.format
        suffixes = file.suffixes[:-1] if file.suffix == ".gz" else file.suffixes
        return SUFFIX_FORMATS[suffixes[-1].lower()] if suffixes and suffixes[-1].lower() in SUFFIX_FORMATS else ""


class MappingSpec(_Strict):
    max_rejected_pct: float = Field(5, ge=0, le=100)  # fail the run when a source quarantines more
    timezone: str = "UTC"  # of naive timestamps, unless a source or column says otherwise
    sources: list[SourceMap] = Field(min_length=1)


@dataclass(frozen=True)
class Mapping:
    path: Path
    spec: MappingSpec
    root: Path | None = None  # folder the file globs are relative to; default the mapping file's
    select_inputs: dict[str, tuple[str, ...]] = field(default_factory=dict)  # select source -> its inputs

    @property
    def folder(self) -> Path:
        return self.root or self.path.parent

    @property
    def max_rejected_pct(self) -> float:
        return self.spec.max_rejected_pct

    def sources_for(self, feed: str) -> list[SourceMap]:
        return [source for source in self.spec.sources if source.feed == feed]

    def inputs_of(self, source: SourceMap) -> list[SourceMap]:
        """The input sources a select reads, in mapping order."""
        names = self.select_inputs.get(source.name, ())
        return [other for other in self.spec.sources if other.name in names]

    def files_of(self, source: SourceMap) -> list[Path]:
        """The files a source's globs match now, in name order."""
        found: set[Path] = set()
        for pattern in source.patterns:
            absolute = pattern if Path(pattern).is_absolute() else str(self.folder / pattern)
            found.update(Path(name) for name in glob.glob(absolute, recursive=True) if Path(name).is_file())
        return sorted(found)


# --- checks the models cannot make alone --------------------------------------------

Problems = list[tuple[tuple, str]]


def _check_column(path: tuple, table: str, column: str, spec: ColumnMap, problems: Problems) -> None:
    canonical = TABLES[table]
    if column not in canonical.columns:
        problems.append(((*path, column), f"{table} has no column {column!r}; it has: {', '.join(canonical.columns)}"))
        return
    kind = canonical.columns[column]
    if spec.format is not None:
        if kind != TIMESTAMP:
            problems.append(((*path, column, "format"), f"format applies to timestamp columns; {column} is {kind}"))
        for fmt in spec.formats:
            if (problem := format_problem(fmt)) is not None:
                problems.append(((*path, column, "format"), problem))
    if spec.timezone is not None:
        if kind != TIMESTAMP:
            problems.append(((*path, column, "timezone"), f"timezone applies to timestamp columns; {column} is {kind}"))
        _check_zone((*path, column, "timezone"), spec.timezone, problems)
    if spec.decimal_comma and not kind.startswith("decimal"):
        problems.append(
            ((*path, column, "decimal_comma"), f"decimal_comma applies to decimal columns; {column} is {kind}")
        )
    allowed = canonical.allowed.get(column)
    for source_value, target in (spec.values or {}).items():
        if allowed is not None and target not in allowed:
            problems.append((
                (*path, column, "values", source_value),
                f"{target!r} is not a canonical {column}; use one of: {', '.join(sorted(allowed))}",
            ))


def _check_zone(path: tuple, name: str, problems: Problems) -> None:
    try:
        parse_zone(name)
    except ValueError as exc:
        problems.append((path, str(exc)))


INPUT_COLUMN_KEYS = ("from", "value", "template", "default")  # inputs are text: no types, formats or values
FILE_KEYS = ("format", "records", "delimiter", "encoding", "extra_columns", "order_lines", "payments")


def _check_input(at: tuple, source: SourceMap, problems: Problems) -> None:
    if source.files is None or source.http is not None or source.select is not None:
        problems.append((at, "an input (a source without table) gives files, read by the selects that name it"))
    if not source.columns:
        problems.append(((*at, "columns"), "list the columns the selects read (a list, or name: field)"))
    for key in ("timezone", "timestamp_format", "decimal_comma", "order_lines", "payments"):
        if key in source.model_fields_set:
            problems.append(((*at, key), f"{key} applies to mapped columns; an input's columns are text: "
                                         "give it on the select source instead"))
    for column, spec in source.columns.items():
        if column in LINEAGE:
            problems.append(((*at, "columns", column), f"{column} is added to every input; pick another name"))
        for key in spec.model_fields_set - {"from_", "value", "template", "default"}:
            problems.append(((*at, "columns", column, key), f"{key} does not apply to an input's text columns; "
                                                            f"use {', '.join(INPUT_COLUMN_KEYS)}"))


def _check_source(index: int, source: SourceMap, problems: Problems) -> None:
    at = ("sources", index)
    if source.is_input:
        _check_input(at, source, problems)
        _check_files(at, source, problems)
        return
    if source.table not in TABLES:
        problems.append(((*at, "table"), f"unknown table {source.table!r}; canonical tables: {', '.join(TABLES)}"))
        return
    if sum(origin is not None for origin in (source.files, source.http, source.select)) != 1:
        problems.append((at, "give exactly one of files (globs), http (an API) or select (SQL over inputs)"))
    if source.select is not None:
        for key in sorted(set(FILE_KEYS) & source.model_fields_set):
            problems.append(((*at, key), f"{key} applies to files; a select reads its inputs"))
    for column, spec in source.columns.items():
        _check_column((*at, "columns"), source.table, column, spec, problems)
    for child_table, child in source.children().items():
        if source.table != "orders":
            problems.append(((*at, child_table), f"{child_table} can be nested only in orders"))
            continue
        for column, spec in child.columns.items():
            _check_column((*at, child_table, "columns"), child_table, column, spec, problems)
    if source.timezone is not None:
        _check_zone((*at, "timezone"), source.timezone, problems)
    for fmt in source.timestamp_formats:
        if (problem := format_problem(fmt)) is not None:
            problems.append(((*at, "timestamp_format"), problem))
    _check_files(at, source, problems)
    if source.records is not None and source.http is None and source.format not in (None, "json"):
        problems.append(((*at, "records"), "records applies to JSON documents"))
    if source.records is not None and source.http is not None:
        problems.append(((*at, "records"), "for an API, give records under http"))
    incremental = source.http.incremental if source.http else None
    if incremental is not None and incremental.start is not None:
        try:
            if datetime.fromisoformat(incremental.start).tzinfo is None:
                raise ValueError
        except ValueError:
            problems.append((
                (*at, "http", "incremental", "start"),
                f"{incremental.start!r} is not an ISO-8601 moment with a zone, e.g. 2026-01-01T00:00:00Z",
            ))
    if incremental is not None:
        kind = TABLES[source.table].columns.get(incremental.column)
        if kind != TIMESTAMP:
            problems.append((
                (*at, "http", "incremental", "column"),
                f"the high-water mark column must be a timestamp column of {source.table}, not {incremental.column!r}",
            ))


def _check_files(at: tuple, source: SourceMap, problems: Problems) -> None:
    try:
        codecs.lookup(source.encoding)
    except LookupError:
        problems.append(((*at, "encoding"), f"unknown encoding {source.encoding!r}"))
    for number, pattern in enumerate(source.patterns):
        fmt = source.format or source.format_of(Path(pattern))
        if not fmt:
            where = (*at, "files", number) if isinstance(source.files, list) else (*at, "files")
            problems.append(
                (where, f"cannot tell the format of {pattern!r} from its suffix; add format: csv|json|jsonl|parquet")
            )


def _check_select(index: int, source: SourceMap, inputs: dict[str, SourceMap], problems: Problems) -> tuple[str, ...]:
    """Run the select over empty inputs and check its output against the canonical table; its inputs."""
    at = ("sources", index, "select")
    try:
        output, used = describe(source.select, {name: list(input_.columns) for name, input_ in inputs.items()})
    except SelectError as exc:
        problems.append((at, f"the select does not run over the inputs ({', '.join(inputs) or 'none'}): {exc}"))
        return ()
    canonical = TABLES[source.table]
    columns = [column for column, _ in output]
    for column in sorted({c for c in columns if columns.count(c) > 1}):
        problems.append((at, f"the select returns {column!r} more than once"))
    for column, duck_type in output:
        if column in LINEAGE:
            continue
        if column not in canonical.columns:
            problems.append((at, f"the select returns {column!r}, not a column of {source.table}; "
                                 f"it has: {', '.join(canonical.columns)}"))
        elif (problem := type_problem(canonical.columns[column], duck_type)) is not None:
            problems.append((at, f"column {column} {problem}"))
    for column in canonical.key:
        if column not in columns and column not in source.columns:
            problems.append((at, f"the select does not return {column!r}, a key of {source.table}"))
    for column, spec in source.columns.items():
        fields = spec.paths if spec.template is None else TEMPLATE_FIELD.findall(spec.template)
        for name in fields:
            if name not in columns:
                problems.append(((*at[:2], "columns", column), f"the select returns no column {name!r}"))
    return tuple(used)


def _check_spec(spec: MappingSpec) -> Problems:
    problems: Problems = []
    _check_zone(("timezone",), spec.timezone, problems)
    names: dict[str, int] = {}
    for index, source in enumerate(spec.sources):
        if source.name in names:
            problems.append((("sources", index, "name"), f"source name {source.name!r} is used twice"))
        names[source.name] = index
        _check_source(index, source, problems)
    return problems


def _select_inputs(spec: MappingSpec, problems: Problems) -> dict[str, tuple[str, ...]]:
    inputs = {source.name: source for source in spec.sources if source.is_input}
    return {
        source.name: _check_select(index, source, inputs, problems)
        for index, source in enumerate(spec.sources) if source.select is not None and source.table in TABLES
    }


def load_mapping(path: Path | str) -> Mapping:
    """Read and validate a mapping file; MappingError lists every problem with its line."""
    path = Path(path)
    try:
        data, lines = load_with_lines(path)
    except YamlError as exc:
        raise MappingError(str(exc)) from exc
    if not isinstance(data, dict):
        raise MappingError(f"{path}:1: expected a mapping with a `sources:` list at the top level")

    def located(problems: Problems) -> str:
        return "\n".join(
            f"{path}:{line_of(lines, loc) or 1}: {'.'.join(str(p) for p in loc) or '(top)'}: {message}"
            for loc, message in problems
        )

    try:
        spec = MappingSpec.model_validate(data)
    except ValidationError as exc:
        problems = [(tuple(err["loc"]), err["msg"].removeprefix("Value error, ")) for err in exc.errors()]
        raise MappingError(f"invalid mapping file:\n{located(problems)}") from exc
    problems = _check_spec(spec)
    select_inputs = {} if problems else _select_inputs(spec, problems)
    if problems:
        raise MappingError(f"invalid mapping file:\n{located(problems)}")
    return Mapping(path=path, spec=spec, select_inputs=select_inputs)


def builtin_mapping(folder: Path | str) -> Mapping:
    """The mapping that ships with the product, reading the canonical feed folder `folder`."""
    return replace(load_mapping(BUILTIN_MAPPING), root=Path(folder))
