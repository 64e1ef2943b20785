"""The check catalog: one YAML suite per fulfillment stage, one SQL file per check."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import yaml

from sources.canonical import TABLES, allowed_values
from warehouse.database import identifier

SUITES_DIR = Path(__file__).resolve().parent
SQL_DIR = SUITES_DIR / "sql"
# Stages in fulfillment order; a suite file exists for each stage covered so far.
STAGES = (
    "order_capture", "payment", "allocation", "picking_packing", "handover",
    "in_transit", "delivery", "returns", "carrier_billing",
)
SEVERITIES = ("low", "medium", "high", "critical")
ENTITIES = ("order", "order_line", "shipment", "stock_position", "tracking_number", "invoice")


_VARIABLE = re.compile(r"getvariable\('([a-z_]+)'\)")
# The comment lines every check's SQL opens with; docs/checks.md is generated from them.
HEADERS = ("grain", "offends when", "began_at")


class CatalogError(ValueError):
    """A suite file that does not describe valid checks."""


@dataclass(frozen=True)
class Check:
    id: str
    stage: str
    entity: str
    severity: str
    owner: str
    catches: str
    # What the check cannot be judged without: canonical tables, or table.column pairs.
    needs: tuple[str, ...] = ()
    enabled: bool = True  # settings: checks: {<id>: {enabled: false}}

    @property
    def needed_tables(self) -> tuple[str, ...]:
        """The canonical tables the check needs rows in, in the order declared."""
        return tuple(dict.fromkeys(need.partition(".")[0] for need in self.needs))

    @property
    def needed_columns(self) -> tuple[tuple[str, str], ...]:
        """The (table, column) pairs that must not be entirely empty."""
        return tuple(tuple(need.split(".")) for need in self.needs if "." in need)  # type: ignore[misc]

    @property
    def sql(self) -> str:
        return (SQL_DIR / f"{self.id}.sql").read_text()

    def header(self, name: str) -> str:
        """The text of the SQL's opening `-- <name>: ...` comment line ('' when absent)."""
        for line in self.sql.splitlines():
            if not line.startswith("--"):
                break
            key, _, text = line.removeprefix("--").partition(":")
            if key.strip() == name:
                return text.strip()
        return ""

    @property
    def parameters(self) -> list[str]:
        """The run parameters and thresholds the check's SQL reads."""
        return sorted(set(_VARIABLE.findall(self.sql)))


@dataclass(frozen=True)
class Threshold:
    """A setting the checks' SQL reads with getvariable(); declared once, in the first suite that uses it."""

    name: str
    default: float | int | list[str]
    description: str
    type: str = "number"  # number, integer or list (of text)
    min: float | None = None  # the value may not be below this
    above: float | None = None  # the value must be above this


@dataclass(frozen=True)
class Suite:
    stage: str
    title: str
    batch: str
    contract: tuple[tuple[str, dict], ...]
    checks: tuple[Check, ...]
    thresholds: tuple[Threshold, ...] = ()


def _check(stage: str, raw: dict, source: Path) -> Check:
    where = f"{source.name}: check {raw.get('id', '?')}"
    expected = {"id", "needs", "entity", "severity", "owner", "catches"}
    if set(raw) != expected:
        raise CatalogError(f"{where}: keys must be {sorted(expected)}, got {sorted(raw)}")
    raw["needs"] = _needs(raw["needs"], where)
    if raw["severity"] not in SEVERITIES:
        raise CatalogError(f"{where}: severity must be one of {SEVERITIES}")
    if raw["entity"] not in ENTITIES:
        raise CatalogError(f"{where}: entity must be one of {ENTITIES}")
    if not (SQL_DIR / f"{identifier(raw['id'])}.sql").exists():
        raise CatalogError(f"{where}: missing SQL file expectations/sql/{raw['id']}.sql")
    check = Check(stage=stage, **raw)
    missing = [name for name in HEADERS if not check.header(name)]
    if missing:
        raise CatalogError(f"{where}: its SQL must open with comment lines {[f'-- {n}: ...' for n in missing]}")
    return check


def _needs(raw: object, where: str) -> tuple[str, ...]:
    """`needs: [orders.total_amount, allocations]`, checked against the canonical model (sources/canonical.py)."""
    if not isinstance(raw, list) or not raw or not all(isinstance(need, str) for need in raw):
        raise CatalogError(f"{where}: needs must be a non-empty list of <table> or <table>.<column>")
    for need in raw:
        table, _, column = need.partition(".")
        if table not in TABLES:
            raise CatalogError(f"{where}: needs unknown table {table!r}; canonical tables: {', '.join(TABLES)}")
        if column and column not in TABLES[table].columns:
            known = ", ".join(TABLES[table].columns)
            raise CatalogError(f"{where}: needs unknown column {need!r}; {table} has: {known}")
    if len(set(raw)) != len(raw):
        raise CatalogError(f"{where}: needs lists something twice")
    return tuple(raw)


def _contract_kwargs(kwargs: dict, source: Path) -> dict:
    """`value_set: canonical:<table>.<column>` is the canonical model's value set (sources/canonical.py)."""
    value_set = kwargs.get("value_set")
    if not (isinstance(value_set, str) and value_set.startswith("canonical:")):
        return kwargs
    try:
        return {**kwargs, "value_set": allowed_values(value_set.removeprefix("canonical:"))}
    except KeyError as exc:
        raise CatalogError(f"{source.name}: contract: {exc.args[0]}") from exc


def _threshold(name: str, raw: dict, source: Path) -> Threshold:
    where = f"{source.name}: threshold {name}"
    allowed = {"default", "description", "type", "min", "above"}
    if not {"default", "description"} <= set(raw) <= allowed:
        raise CatalogError(f"{where}: keys must be default, description and optionally type, min, above")
    kind = "list" if isinstance(raw["default"], list) else raw.get("type", "number")
    if kind not in ("number", "integer", "list"):
        raise CatalogError(f"{where}: type must be number, integer or list")
    return Threshold(name=identifier(name), **{**raw, "type": kind})


def load_suite(path: Path) -> Suite:
    raw = yaml.safe_load(path.read_text())
    stage = raw["stage"]
    if stage not in STAGES or path.stem != stage:
        raise CatalogError(f"{path.name}: stage must be one of {STAGES} and match the file name")
    schema, table = raw["batch"].split(".")
    contract = tuple(
        (identifier(name), _contract_kwargs(kwargs, path))
        for item in raw.get("contract", []) for name, kwargs in item.items()
    )
    checks = tuple(_check(stage, dict(check), path) for check in raw["checks"])
    return Suite(
        stage=stage,
        title=raw["title"],
        batch=f"{identifier(schema)}.{identifier(table)}",
        contract=contract,
        checks=checks,
        thresholds=tuple(_threshold(name, dict(raw_t), path) for name, raw_t in (raw.get("thresholds") or {}).items()),
    )


@cache
def load_catalog() -> tuple[Suite, ...]:
    """Every stage suite present, in fulfillment order; check ids and threshold names are unique."""
    suites = tuple(
        load_suite(SUITES_DIR / f"{stage}.yaml")
        for stage in STAGES
        if (SUITES_DIR / f"{stage}.yaml").exists()
    )
    for what, names in (
        ("check ids", [check.id for suite in suites for check in suite.checks]),
        ("thresholds", [t.name for suite in suites for t in suite.thresholds]),
    ):
        duplicated = sorted({n for n in names if names.count(n) > 1})
        if duplicated:
            raise CatalogError(f"{what} declared twice: {duplicated}")
    return suites


def all_thresholds() -> tuple[Threshold, ...]:
    """Every threshold the checks read, in fulfillment order."""
    return tuple(threshold for suite in load_catalog() for threshold in suite.thresholds)


def configured_catalog(overrides: dict[str, dict[str, str | bool | None]]) -> tuple[Suite, ...]:
    """The catalog with severity, owner and enabled overridden per check from the settings."""
    unknown = sorted(set(overrides) - {check.id for check in all_checks()})
    if unknown:
        raise CatalogError(f"settings name checks that do not exist: {unknown}")
    return tuple(
        replace(suite, checks=tuple(
            replace(check, **{k: v for k, v in overrides.get(check.id, {}).items() if v is not None})
            for check in suite.checks
        ))
        for suite in load_catalog()
    )


def all_checks(suites: tuple[Suite, ...] | None = None) -> tuple[Check, ...]:
    return tuple(check for suite in suites or load_catalog() for check in suite.checks)
