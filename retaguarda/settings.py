"""Validated settings: config/defaults.yaml, then a settings file, then the environment.

pydantic-settings merges the three sources. Relative paths are made absolute where they
are read: against the settings file's folder, against the repository root for the
defaults (so `data/...` stays under the repository, as it always was), and against the
current directory for the environment.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator, model_validator
from pydantic_settings import (
    BaseSettings,
    EnvSettingsSource,
    InitSettingsSource,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    YamlConfigSettingsSource,
)
from pydantic_settings.sources.utils import parse_env_vars

from expectations.catalog import SEVERITIES, all_thresholds
from retaguarda.calendar import BusinessCalendar, subdivisions
from warehouse.ducklake import Lake

ROOT = Path(__file__).resolve().parent.parent
DEFAULTS_FILE = ROOT / "config" / "defaults.yaml"
ENV_PREFIX = "RETAGUARDA__"
SETTINGS_FILE_VARIABLE = "RETAGUARDA_SETTINGS"
TENANT_PATTERN = r"^[a-z][a-z0-9_-]{0,39}$"
TENANT_PLACEHOLDER = "{tenant}"


class SettingsError(ValueError):
    """Settings that cannot be used; the message names the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WarehouseSettings(_Strict):
    kind: Literal["duckdb", "ducklake"] = Field(
        default="duckdb",
        description="`duckdb`: one embedded DuckDB file (`warehouse.path`), one machine; `ducklake`: a "
        "DuckLake shared by many runs and machines, its catalog in PostgreSQL or SQLite "
        "(`warehouse.catalog`) and its Parquet data under `warehouse.data_path` ([architecture](architecture.md))",
    )
    path: Path = Field(
        description="the DuckDB file (kind `duckdb`), with its lock file and reader copy beside it; "
        "unused by kind `ducklake`"
    )
    catalog: str | None = Field(
        default=None,
        description="kind `ducklake`: the DuckLake catalog, `postgres:<libpq connection string>` "
        "(e.g. `postgres:dbname=lake host=127.0.0.1 port=5432 user=retaguarda`; a password is best "
        "left to `PGPASSWORD` or `~/.pgpass`) or `sqlite:<file>` for one machine",
    )
    data_path: str | None = Field(
        default=None,
        description="kind `ducklake`: where the lake's Parquet files go, an absolute folder or an "
        "`s3://` URL (credentials through a DuckDB secret); fixed by the first run into a catalog",
    )
    metadata_schema: str | None = Field(
        default=None,
        description="kind `ducklake` on PostgreSQL: the schema holding this shop's catalog tables, so one "
        "PostgreSQL database holds many shops' lakes side by side (one writer lock per schema); "
        "`null`: the database's default schema",
    )
    lock_wait_seconds: float = Field(
        ge=0,
        description="a run that finds another writing the warehouse waits this long, "
        "then exits with code 3 and a message naming the holder",
    )

    @model_validator(mode="after")
    def _lake_is_complete(self) -> WarehouseSettings:
        if self.kind == "duckdb":
            return self
        if not self.catalog or self.catalog.removeprefix("ducklake:").split(":", 1)[0] not in ("postgres", "sqlite"):
            raise ValueError("warehouse.kind ducklake needs warehouse.catalog: postgres:<connection> or sqlite:<file>")
        if not self.data_path or not (Path(self.data_path).is_absolute() or re.match(r"^[a-z0-9]+://", self.data_path)):
            raise ValueError("warehouse.kind ducklake needs warehouse.data_path: an absolute folder or an s3:// URL")
        if self.metadata_schema is not None and not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", self.metadata_schema):
            raise ValueError("warehouse.metadata_schema must be a lowercase SQL name (letters, digits, _)")
        return self

    @property
    def target(self) -> Path | Lake:
        """What warehouse.access opens and warehouse.lock locks."""
        if self.kind == "duckdb":
            return self.path
        return Lake(self.catalog.removeprefix("ducklake:"), self.data_path, self.metadata_schema)


class RetentionSettings(_Strict):
    """Ages count back from the latest published window's end, not the wall clock."""

    raw_days: int = Field(
        gt=0,
        description="raw rows older than this that no staging table uses (superseded versions) "
        "are deleted after each published run; ages count back from the latest published "
        "window's end, not the wall clock",
    )
    history_days: int = Field(
        gt=0,
        description="run audit, ledger events, history snapshots, actions, exceptions resolved and "
        "report files older than this are deleted, and on a DuckLake the snapshots (time travel) committed "
        "longer ago than this by the clock, with the files only they held; never active exceptions, the "
        "latest two publications or the 7 days the report's trend reads",
    )


class SourceSettings(_Strict):
    kind: Literal["demo", "folder", "mapped"] = Field(
        description="`demo`: generate the built-in back office into `source.folder` first; "
        "`folder`: read the files already there; `mapped`: read the sources described by `source.mapping`"
    )
    folder: Path = Field(description="the feed files, laid out as in [feeds.md](feeds.md)")
    mapping: Path | None = Field(
        default=None, description="with `mapped`: the mapping file ([sources.md](sources.md))"
    )

    @model_validator(mode="after")
    def _mapping_when_mapped(self) -> SourceSettings:
        if self.kind == "mapped" and self.mapping is None:
            raise ValueError("source.kind 'mapped' needs source.mapping, the path of a mapping file")
        return self


class DemoSettings(_Strict):
    seed: int = Field(description="simulator seed: the same seed gives the same world whatever window is asked")
    days: int = Field(
        gt=0,
        description="a fresh feed folder's shop opens this many days before the first window end "
        "(kept in its `world.json`); later runs hand over only the new hours",
    )
    orders_per_hour: float = Field(gt=0, description="mean order rate")
    anomaly_rate: float = Field(ge=0, le=1, description="share of eligible entities given each anomaly")


class CalendarSettings(_Strict):
    timezone: str = Field(description="zone of the business calendar and of the default window")
    open_hour: int = Field(ge=0, le=23, description="opening hour, local time, Monday to Friday")
    close_hour: int = Field(ge=1, le=24, description="closing hour, local time, Monday to Friday")
    holidays: Literal["BR", "none"] = Field(
        description="`BR`: Brazilian national holidays (from the `holidays` package) plus Carnival Monday "
        "and Tuesday and Corpus Christi; `none`: no holidays"
    )
    subdivision: str | None = Field(
        default=None,
        description="a Brazilian state (`SP`, `RJ`, ...): its holidays are closed days too; `null`: national only",
    )
    extra_holidays: list[date] = Field(
        default_factory=list,
        description="more closed days, e.g. a city's holidays or a company day off: `[2026-01-25]`",
    )

    @model_validator(mode="after")
    def _opens_before_closing(self) -> CalendarSettings:
        if self.open_hour >= self.close_hour:
            raise ValueError("open_hour must be before close_hour")
        return self

    def business_calendar(self) -> BusinessCalendar:
        return BusinessCalendar(
            timezone=self.timezone,
            open_hour=self.open_hour,
            close_hour=self.close_hour,
            holidays=self.holidays,
            subdivision=self.subdivision,
            extra_holidays=tuple(self.extra_holidays),
        )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value

    @field_validator("subdivision")
    @classmethod
    def _known_subdivision(cls, value: str | None) -> str | None:
        if value is not None and value not in subdivisions():
            raise ValueError(f"unknown subdivision {value!r}; one of {', '.join(subdivisions())}")
        return value


def _thresholds_model() -> type[BaseModel]:
    """The thresholds section, built from the thresholds the check suites declare (expectations/*.yaml)."""
    kinds = {"number": float, "integer": int, "list": list[str]}
    fields: dict[str, Any] = {
        t.name: (kinds[t.type], Field(default=t.default, ge=t.min, gt=t.above, description=t.description))
        for t in all_thresholds()
    }
    return create_model("Thresholds", __base__=_Strict, **fields)


Thresholds = _thresholds_model()


def _valid_pattern(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a regular expression: {exc}") from exc
    return value


Severity = Literal[SEVERITIES]  # the catalog's list, lowest first


class LedgerSettings(_Strict):
    escalate_every_business_hours: float | None = Field(
        gt=0,
        description="an exception open this long goes up one severity level (low, medium, high, critical); "
        "`null`: never",
    )
    export_dir: Path = Field(
        description="the active ledger is written here after each run as `open_exceptions.parquet` and `.csv`"
    )


class ReportSettings(_Strict):
    dir: Path = Field(description="the HTML report of each run, and `latest.html` ([report](report.md))")
    language: Literal["en", "pt-BR"] = Field(
        description="`en` or `pt-BR`: words, numbers, dates and currency of the report"
    )
    currency: str = Field(pattern=r"^[A-Z]{3}$", description="currency the report shows money in")
    owner_names: dict[Literal["en", "pt-BR"], dict[str, str]] = Field(
        description="per language, the name the report shows for each owning team (the checks' `owner`), "
        "e.g. `{pt-BR: {warehouse-ops: Operações do armazém}}`; a team without one shows its id"
    )
    base_url: str | None = Field(
        pattern=r"^https?://[^\s]+$",
        description="where the reports folder is served (e.g. `https://reports.example.com/retaguarda`): "
        "each run's `exception-report` artifact links `<base_url>/<report file>`; `null`: the artifact "
        "gives the file's path and the `retaguarda serve` command",
    )


EMAIL_BLOCK = "email-server-credentials"  # prefect-email's block: an SMTP server, sent to `alerts.recipients`


def _block_slug(value: str) -> str:
    if value.count("/") != 1 or not all(value.split("/")):
        raise ValueError(f"a block is named 'type/name', e.g. custom-webhook/ops-alerts, got {value!r}")
    return value


class AlertSettings(_Strict):
    block: str | None = Field(
        description="Prefect notification block, `type/name` (e.g. `custom-webhook/ops`, `slack-webhook/ops`, "
        f"`{EMAIL_BLOCK}/ops`), for every owner `alerts.owners` does not name; `null`: no alerts for them"
    )
    min_severity: Severity = Field(
        description="alert on new, escalated and reopened exceptions at or above this severity"
    )
    owners: dict[str, str] = Field(
        default_factory=dict,
        description="owner -> the block that gets that owner's digest, e.g. "
        f"`{{warehouse: custom-webhook/warehouse-team, finance: {EMAIL_BLOCK}/finance}}`; each owner gets "
        "one digest per run, only when something of theirs is new, escalated or reopened",
    )
    recipients: dict[str, list[str]] = Field(
        default_factory=dict,
        description=f"`{EMAIL_BLOCK}` block -> the addresses its digests go to, e.g. "
        f"`{{{EMAIL_BLOCK}/finance: [finance@example.com]}}`; every email block used needs one",
    )

    @field_validator("block")
    @classmethod
    def _block_slug(cls, value: str | None) -> str | None:
        return None if value is None else _block_slug(value)

    @field_validator("owners")
    @classmethod
    def _owner_blocks(cls, value: dict[str, str]) -> dict[str, str]:
        return {owner: _block_slug(block) for owner, block in value.items()}

    @model_validator(mode="after")
    def _emails_have_recipients(self) -> AlertSettings:
        used = {self.block, *self.owners.values()} - {None}
        missing = sorted(b for b in used if b.split("/")[0] == EMAIL_BLOCK and not self.recipients.get(b))
        if missing:
            raise ValueError(f"email blocks need addresses in alerts.recipients: {', '.join(missing)}")
        return self

    def block_for(self, owner: str) -> str | None:
        """The block that gets `owner`'s digest: theirs, else the catch-all."""
        return self.owners.get(owner, self.block)


class CheckOverride(_Strict):
    severity: Severity | None = None
    owner: str | None = None
    escalate_every_business_hours: float | None = Field(default=None, gt=0)
    enabled: bool = True  # false: the check is not evaluated, and its open exceptions are left as they are


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        extra="forbid",
        frozen=True,
        env_prefix=ENV_PREFIX,
        env_nested_delimiter="__",
        env_parse_none_str="null",
        case_sensitive=False,
    )

    warehouse: WarehouseSettings
    retention: RetentionSettings
    carriers: dict[str, str] = Field(description="carrier -> regular expression its tracking numbers match")
    source: SourceSettings
    demo: DemoSettings
    calendar: CalendarSettings
    thresholds: Thresholds = Field(  # type: ignore[valid-type]
        default_factory=Thresholds,
        description="each check's SLAs and tolerances; declared, with their defaults, in the suite that uses them "
        "(`expectations/<stage>.yaml`, `thresholds:`)",
    )
    ledger: LedgerSettings
    report: ReportSettings
    alerts: AlertSettings
    tenant: str | None = Field(
        default=None,
        pattern=TENANT_PATTERN,
        description="set by `--tenant NAME` (never in a file): the shop these settings are for, "
        "`tenants/NAME.yaml` over `tenants/defaults.yaml` ([Many shops](../README.md#many-shops)); "
        "`null`: the single-shop default",
    )
    checks: dict[str, CheckOverride] = Field(
        description="per-check `severity` (`low`, `medium`, `high`, `critical`), `owner` and "
        "`escalate_every_business_hours` overrides, e.g. `checks: {late_shipment: {owner: dc-sao-paulo}}`, "
        "and `enabled: false` to not evaluate a check (its open exceptions stay as they are); "
        "an unknown check id stops the run"
    )

    @field_validator("carriers")
    @classmethod
    def _patterns(cls, value: dict[str, str]) -> dict[str, str]:
        return {carrier: _valid_pattern(pattern) for carrier, pattern in value.items()}

    @classmethod
    def settings_customise_sources(
        cls, settings_cls: type[BaseSettings], **_default_sources: PydanticBaseSettingsSource
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Settings() reads what load_settings() reads, never a .env file or secrets folder
        return _sources(settings_cls, None, os.environ)

    def sql_variables(self, as_of: datetime) -> dict[str, Any]:
        """The values the SQL models and checks read with getvariable()."""
        return {
            "as_of": as_of,
            "tenant": self.tenant,
            "calendar_timezone": self.calendar.timezone,
            "business_day_hours": self.calendar.close_hour - self.calendar.open_hour,
            **self.thresholds.model_dump(),
        }

    def check_overrides(self) -> dict[str, dict[str, str | bool | None]]:
        """Severity, owner and enabled per check, where the settings change them."""
        return {
            check_id: override.model_dump(include={"severity", "owner", "enabled"})
            for check_id, override in self.checks.items()
        }

    def escalation(self, check_id: str) -> float | None:
        """Business hours open before the check's exceptions go up one severity level."""
        override = self.checks.get(check_id)
        if override and override.escalate_every_business_hours is not None:
            return override.escalate_every_business_hours
        return self.ledger.escalate_every_business_hours


def _path_keys(settings_cls: type[BaseModel]) -> dict[str, set[str]]:
    """{section: {key}} for every setting that is a path."""
    keys: dict[str, set[str]] = {}
    for section, field in settings_cls.model_fields.items():
        model = field.annotation
        if isinstance(model, type) and issubclass(model, BaseModel):
            for key, sub in model.model_fields.items():
                if sub.annotation in (Path, Path | None):
                    keys.setdefault(section, set()).add(key)
    return keys


def _resolve_paths(settings_cls: type[BaseModel], data: dict[str, Any], base: Path) -> dict[str, Any]:
    """The same values, with relative paths made absolute against `base`."""
    resolved = dict(data)
    for section, keys in _path_keys(settings_cls).items():
        values = resolved.get(section)
        if not isinstance(values, dict):
            continue
        values = dict(values)
        for key in keys & values.keys():
            if isinstance(values[key], str | Path) and str(values[key]):
                values[key] = base / Path(values[key]).expanduser()
        resolved[section] = values
    return resolved


def _with_tenant(value: Any, tenant: str) -> Any:
    """`value` with `{tenant}` in every string replaced by the tenant's name."""
    if isinstance(value, str):
        return value.replace(TENANT_PLACEHOLDER, tenant)
    if isinstance(value, dict):
        return {key: _with_tenant(item, tenant) for key, item in value.items()}
    if isinstance(value, list):
        return [_with_tenant(item, tenant) for item in value]
    return value


class _SettingsFile(YamlConfigSettingsSource):
    """One YAML settings file; its relative paths are relative to `base`; `{tenant}` is the tenant's name."""

    def __init__(self, settings_cls: type[BaseSettings], path: Path, base: Path, tenant: str | None = None) -> None:
        self.tenant = tenant
        if path.is_dir():
            raise SettingsError(f"settings file {path} is a folder: give the YAML file in it")
        if not path.is_file():
            raise SettingsError(f"settings file not found: {path}")
        self.base = base
        self.settings_class = settings_cls  # the base class sets settings_cls only after reading
        super().__init__(settings_cls, yaml_file=path)

    def _read_file(self, file_path: Path) -> dict[str, Any]:
        try:
            data = super()._read_file(file_path)
        except yaml.YAMLError as exc:
            raise SettingsError(f"{file_path}: not valid YAML: {exc}") from exc
        except UnicodeDecodeError as exc:
            raise SettingsError(f"{file_path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
        if not isinstance(data, dict):
            raise SettingsError(f"{file_path}: expected a mapping of sections at the top level")
        if data.get("tenant") is not None:
            raise SettingsError(f"{file_path}: `tenant` is not set in a file: the file's name names the tenant")
        if self.tenant is not None:
            data = _with_tenant(data, self.tenant)
        return _resolve_paths(self.settings_class, data, self.base)


class _Environment(EnvSettingsSource):
    """RETAGUARDA__SECTION__KEY=value from the given mapping, the value read as YAML."""

    def __init__(self, settings_cls: type[BaseSettings], environ: Mapping[str, str]) -> None:
        super().__init__(settings_cls)
        self.env_vars = parse_env_vars(environ, self.case_sensitive, self.env_ignore_empty, self.env_parse_none_str)

    def decode_complex_value(self, field_name: str, field: Any, value: Any) -> Any:
        try:
            return yaml.safe_load(value)
        except yaml.YAMLError as exc:
            raise SettingsError(f"{_env_name((field_name,))}: not valid YAML: {exc}") from exc

    def __call__(self) -> dict[str, Any]:
        try:
            read = super().__call__()
        except ValueError as exc:  # pydantic-settings wraps ours; keep the message that names the variable
            if isinstance(exc.__cause__, SettingsError):
                raise exc.__cause__ from None
            raise
        data = _resolve_paths(self.settings_cls, read, Path.cwd())
        # the base class skips variables that name no section; an unknown key must fail instead
        prefix = self.env_prefix.lower()
        for name, value in self.env_vars.items():
            key = name[len(prefix) :]
            if name.startswith(prefix) and key.split("__")[0] not in self.settings_cls.model_fields:
                data[key] = value
        if "tenant" in data:
            raise SettingsError(f"{ENV_PREFIX}TENANT is not a setting: choose the tenant with --tenant NAME")
        return data


def _sources(
    settings_cls: type[BaseSettings],
    path: Path | str | None,
    environ: Mapping[str, str],
    tenant: str | None = None,
    tenant_files: tuple[Path, ...] = (),
) -> tuple[PydanticBaseSettingsSource, ...]:
    """Highest priority first: the environment, the tenant's files (most specific first), the settings file,
    the defaults."""
    path = path or environ.get(SETTINGS_FILE_VARIABLE)
    files = [_SettingsFile(settings_cls, Path(path), Path(path).resolve().parent, tenant)] if path else []
    layers = [_SettingsFile(settings_cls, file, file.resolve().parent, tenant) for file in tenant_files]
    named = [InitSettingsSource(settings_cls, {"tenant": tenant})] if tenant is not None else []
    return (
        *named,
        _Environment(settings_cls, environ),
        *layers,
        *files,
        *_tenant_defaults(settings_cls, tenant),
        _SettingsFile(settings_cls, DEFAULTS_FILE, ROOT, tenant),
    )


def _tenant_defaults(settings_cls: type[BaseSettings], tenant: str | None) -> list[PydanticBaseSettingsSource]:
    """Defaults a named tenant gets above config/defaults.yaml, below every file: a DuckLake warehouse's
    metadata schema is the tenant's name, `-` written `_` (a schema name takes no `-`)."""
    if tenant is None:
        return []
    return [InitSettingsSource(settings_cls, {"warehouse": {"metadata_schema": tenant.replace("-", "_")}})]


def _env_name(loc: tuple) -> str:
    return ENV_PREFIX + "__".join(str(part) for part in loc).upper()


def load_settings(
    path: Path | str | None = None,
    environ: Mapping[str, str] | None = None,
    tenant: str | None = None,
    tenant_files: tuple[Path, ...] = (),
) -> Settings:
    """Defaults, then the settings file (`path` or RETAGUARDA_SETTINGS), then RETAGUARDA__ variables.

    With `tenant`, its `tenant_files` (most specific first) go between the settings file and the
    environment, with `{tenant}` in their strings (and the defaults') replaced by its name;
    retaguarda.tenants.load_tenant finds them.
    """
    environ = dict(os.environ if environ is None else environ)
    if tenant is not None and not re.fullmatch(TENANT_PATTERN, tenant):
        raise SettingsError(
            f"invalid tenant name {tenant!r}: a lowercase letter, then up to 39 lowercase letters, digits, _ or -"
        )
    sources = _sources(Settings, path, environ, tenant, tenant_files)
    upper_names = {name.upper() for name in environ}
    try:
        return Settings(_build_sources=(sources, {}))
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            key = ".".join(str(part) for part in err["loc"])
            # the variable that set the key, or the one that set its section as YAML
            names = [_env_name(err["loc"][:end]) for end in range(len(err["loc"]), 0, -1)]
            origin = next((f" (from {name})" for name in names if name in upper_names), "")
            problems.append(f"{key}: {err['msg']}{origin}")
        raise SettingsError(f"invalid settings: {'; '.join(problems)}") from exc
