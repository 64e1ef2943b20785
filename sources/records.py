"""Apply a source's column mapping to one record: canonical text rows, or the problems found."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import tzinfo
from typing import Any

from sources.canonical import INHERITED_FROM_ORDER, NESTED_DEFAULTS, ORDER_CHILDREN, TABLES
from sources.convert import ConversionError, convert, is_empty, parse_zone, to_text
from sources.mapping import TEMPLATE_FIELD, ColumnMap, SourceMap
from sources.problems import MISSING_COLUMN, MISSING_REQUIRED, UNKNOWN_VALUE, WRONG_TYPE, Problem
from sources.readers import Record

ABSENT = object()  # the record has no such field (different from a field that is empty)


def lookup(fields: dict[str, Any], path: str) -> Any:
    """A field by name, or by dotted path into nested objects (ship_to.country)."""
    if path in fields:
        return fields[path]
    value: Any = fields
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            return ABSENT
        value = value[part]
    return value


@dataclass(frozen=True)
class ColumnRule:
    column: str
    kind: str  # canonical type
    explicit: bool  # named in the mapping (else: a same-named field, when there is one)
    paths: tuple[str, ...] = ()
    constant: str | None = None
    template: str | None = None
    formats: tuple[str, ...] = ("iso",)
    zone: tzinfo | None = None
    decimal_comma: bool = False
    values: dict[str, str] | None = None  # casefolded source value -> canonical value
    default: str | None = None
    required: bool = False
    allowed: tuple[str, ...] | None = None
    inherited: str | None = None  # child rows: the order's column it takes when not mapped
    end_of_day: bool = False  # a deadline: a date-only value is the end of that day

    @property
    def source_fields(self) -> tuple[str, ...]:
        if self.template is not None:
            return tuple(TEMPLATE_FIELD.findall(self.template))
        return self.paths


@dataclass(frozen=True)
class SourceDefaults:
    """What a column gets when its own mapping does not say."""

    zone: tzinfo
    formats: tuple[str, ...]
    decimal_comma: bool


def compile_rules(
    table: str, columns: dict[str, ColumnMap], defaults: SourceDefaults, child: bool = False
) -> list[ColumnRule]:
    canonical = TABLES[table]
    rules = []
    for column, kind in canonical.columns.items():
        spec = columns.get(column)
        inherited = INHERITED_FROM_ORDER.get(column) if child and spec is None else None
        base = {
            "column": column, "kind": kind, "allowed": canonical.allowed.get(column),
            "required": column in canonical.required or bool(spec and spec.required), "inherited": inherited,
            "end_of_day": column in canonical.end_of_day,
        }
        if spec is None:
            nested = NESTED_DEFAULTS.get(table, {}).get(column)
            rules.append(ColumnRule(
                explicit=False, paths=(column, nested) if nested else (column,), zone=defaults.zone,
                formats=defaults.formats, decimal_comma=defaults.decimal_comma, **base,
            ))
            continue
        rules.append(ColumnRule(
            explicit=True, paths=tuple(spec.paths), constant=spec.value, template=spec.template,
            formats=tuple(spec.formats or defaults.formats),
            zone=parse_zone(spec.timezone) if spec.timezone else defaults.zone,
            decimal_comma=defaults.decimal_comma if spec.decimal_comma is None else spec.decimal_comma,
            default=spec.default,
            values={k.strip().casefold(): v for k, v in spec.values.items()} if spec.values is not None else None,
            **base,
        ))
    return rules


def _source_value(rule: ColumnRule, fields: dict[str, Any]) -> Any:
    if rule.constant is not None:
        return rule.constant
    if rule.template is not None:
        parts = {name: lookup(fields, name) for name in rule.source_fields}
        if any(value is ABSENT for value in parts.values()):
            return ABSENT
        if all(is_empty(value) for value in parts.values()):
            return None
        return TEMPLATE_FIELD.sub(lambda m: "" if is_empty(parts[m[1]]) else to_text(parts[m[1]]), rule.template)
    present = [value for value in (lookup(fields, path) for path in rule.paths) if value is not ABSENT]
    if not present:
        return ABSENT
    return next((value for value in present if not is_empty(value)), None)


def apply_rule(
    rule: ColumnRule, fields: dict[str, Any], parent: dict[str, str | None]
) -> tuple[str | None, Problem | None]:
    """The canonical text of one column, or the problem that keeps the row out."""
    value = _source_value(rule, fields)
    if rule.inherited is not None and (value is ABSENT or is_empty(value)):
        value = parent.get(rule.inherited)
    if value is ABSENT:
        if rule.required:
            names = " or ".join(repr(name) for name in rule.source_fields)
            return None, Problem(MISSING_COLUMN, f"{rule.column}: the record has no field {names}")
        value = None
    if is_empty(value):
        value = rule.default
    if is_empty(value):
        return None, Problem(MISSING_REQUIRED, f"{rule.column}: empty") if rule.required else None
    if rule.values is not None:
        value = rule.values.get(to_text(value).strip().casefold(), value)
    try:
        text = convert(
            value, rule.kind, formats=list(rule.formats), zone=rule.zone, decimal_comma=rule.decimal_comma,
            end_of_day=rule.end_of_day,
        )
    except ConversionError as exc:
        return None, Problem(WRONG_TYPE, f"{rule.column}: {exc}")
    if rule.allowed is not None:
        normal = text.strip().casefold()
        if normal not in rule.allowed:
            hint = "add it to values:" if rule.values is not None else "map it with values:"
            known = ", ".join(sorted(rule.allowed))
            return None, Problem(UNKNOWN_VALUE, f"{rule.column}: {text!r} is not one of {known} ({hint})")
        text = normal
    return text, None


def map_row(
    rules: list[ColumnRule], fields: dict[str, Any], parent: dict[str, str | None]
) -> tuple[dict, list[Problem]]:
    row, problems = {}, []
    for rule in rules:
        row[rule.column], problem = apply_rule(rule, fields, parent)
        if problem is not None:
            problems.append(problem)
    return row, problems


@dataclass
class MappedRecord:
    record: Record
    rows: dict[str, list[dict[str, str | None]]] = field(default_factory=dict)  # table -> canonical rows
    problems: list[Problem] = field(default_factory=list)


class RecordMapper:
    """One source's mapping, compiled: the main table and the tables nested in its records."""

    def __init__(self, source: SourceMap, default_timezone: str) -> None:
        defaults = SourceDefaults(
            zone=parse_zone(source.timezone or default_timezone),
            formats=tuple(source.timestamp_formats),
            decimal_comma=source.decimal_comma,
        )
        self.table = source.table
        self.rules = compile_rules(source.table, source.columns, defaults)
        self.children = {
            table: (child.from_ or ORDER_CHILDREN[table], compile_rules(table, child.columns, defaults, child=True))
            for table, child in source.children().items()
        }

    @property
    def tables(self) -> list[str]:
        return [self.table, *self.children]

    def expected_fields(self) -> list[tuple[str, tuple[str, ...]]]:
        """(what it is for, the fields it may come from) for every field the mapping names."""
        expected = []
        # A source that maps no column reads the canonical names (the canonical folder): then
        # every canonical column is expected. Otherwise the named ones and the required ones.
        canonical_names = not any(rule.explicit for rule in self.rules)
        for rule in self.rules:
            if not rule.explicit and (canonical_names or rule.required):
                expected.append((rule.column, rule.paths))
            elif rule.explicit and rule.template is not None:
                expected += [(rule.column, (name,)) for name in rule.source_fields]  # each one is needed
            elif rule.explicit and rule.paths:
                expected.append((rule.column, rule.paths))  # any one of them will do
        expected += [(table, (list_field,)) for table, (list_field, _) in self.children.items()]
        return expected

    def known_fields(self) -> set[str]:
        """Every field the mapping may read, named or same-named."""
        known = {name for rule in self.rules for name in rule.source_fields}
        return known | {list_field for list_field, _ in self.children.values()}

    def map(self, record: Record) -> MappedRecord:
        mapped = MappedRecord(record)
        if record.problem is not None or record.fields is None:
            mapped.problems.append(record.problem)
            return mapped
        row, mapped.problems = map_row(self.rules, record.fields, {})
        mapped.rows[self.table] = [row]
        for table, (list_field, rules) in self.children.items():
            items = lookup(record.fields, list_field)
            if items is ABSENT or items is None:
                items = []
            if not isinstance(items, list):
                mapped.problems.append(Problem(WRONG_TYPE, f"{list_field}: expected a list of {table}"))
                continue
            mapped.rows[table] = []
            for number, item in enumerate(items):
                if not isinstance(item, dict):
                    mapped.problems.append(Problem(WRONG_TYPE, f"{list_field}[{number}]: not an object"))
                    continue
                child_row, problems = map_row(rules, item, row)
                mapped.rows[table].append(child_row)
                mapped.problems += [Problem(p.reason, f"{list_field}[{number}].{p.detail}") for p in problems]
        return mapped
