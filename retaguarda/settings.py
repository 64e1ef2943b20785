"""Validated settings: config/defaults.yaml, then a settings file, then the environment."""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from retaguarda.calendar import BusinessCalendar

ROOT = Path(__file__).resolve().parent.parent
DEFAULTS_FILE = ROOT / "config" / "defaults.yaml"
ENV_PREFIX = "RETAGUARDA__"


class SettingsError(ValueError):
    """Settings that cannot be used; the message names the key."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WarehouseSettings(_Strict):
    path: Path
    lock_wait_seconds: float = Field(ge=0)


class RetentionSettings(_Strict):
    raw_days: int = Field(gt=0)
    history_days: int = Field(gt=0)


class SourceSettings(_Strict):
    kind: Literal["demo", "folder", "mapped"]
    folder: Path
    mapping: Path | None = None  # with kind "mapped": the sources and mappings file

    @model_validator(mode="after")
    def _mapping_when_mapped(self) -> SourceSettings:
        if self.kind == "mapped" and self.mapping is None:
            raise ValueError("source.kind 'mapped' needs source.mapping, the path of a mapping file")
        return self


class DemoSettings(_Strict):
    seed: int
    days: int = Field(gt=0)
    orders_per_hour: float = Field(gt=0)
    anomaly_rate: float = Field(ge=0, le=1)


class CalendarSettings(_Strict):
    timezone: str
    open_hour: int = Field(ge=0, le=23)
    close_hour: int = Field(ge=1, le=24)
    holidays: Literal["BR", "none"]

    @model_validator(mode="after")
    def _opens_before_closing(self) -> CalendarSettings:
        if self.open_hour >= self.close_hour:
            raise ValueError("open_hour must be before close_hour")
        return self

    def business_calendar(self) -> BusinessCalendar:
        return BusinessCalendar(
            timezone=self.timezone, open_hour=self.open_hour, close_hour=self.close_hour, holidays=self.holidays
        )

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {value!r}") from exc
        return value


class Thresholds(_Strict):
    accepted_currencies: list[str]
    clock_skew_minutes: float = Field(ge=0)
    money_tolerance: float = Field(ge=0)
    payment_sla_hours: float = Field(gt=0)
    refund_grace_hours: float = Field(ge=0)
    allocation_sla_business_hours: float = Field(gt=0)
    first_scan_sla_business_hours: float = Field(gt=0)
    stalled_business_days: int = Field(gt=0)
    close_grace_hours: float = Field(ge=0)
    restock_sla_business_hours: float = Field(gt=0)
    weight_tolerance_pct: float = Field(ge=0)
    split_parcel_window_hours: float = Field(ge=0)


def _valid_pattern(value: str) -> str:
    try:
        re.compile(value)
    except re.error as exc:
        raise ValueError(f"not a regular expression: {exc}") from exc
    return value


Severity = Literal["low", "medium", "high", "critical"]


class LedgerSettings(_Strict):
    escalate_every_business_hours: float | None = Field(gt=0)
    export_dir: Path


class ReportSettings(_Strict):
    dir: Path
    language: Literal["en", "pt-BR"]
    currency: str = Field(pattern=r"^[A-Z]{3}$")


class AlertSettings(_Strict):
    block: str | None
    min_severity: Severity

    @field_validator("block")
    @classmethod
    def _block_slug(cls, value: str | None) -> str | None:
        if value is not None and value.count("/") != 1:
            raise ValueError("a block is named 'type/name', e.g. custom-webhook/ops-alerts")
        return value


class CheckOverride(_Strict):
    severity: Severity | None = None
    owner: str | None = None
    escalate_every_business_hours: float | None = Field(default=None, gt=0)


class Settings(_Strict):
    warehouse: WarehouseSettings
    retention: RetentionSettings
    carriers: dict[str, str]
    source: SourceSettings
    demo: DemoSettings
    calendar: CalendarSettings
    thresholds: Thresholds
    ledger: LedgerSettings
    report: ReportSettings
    alerts: AlertSettings
    checks: dict[str, CheckOverride]

    @field_validator("carriers")
    @classmethod
    def _patterns(cls, value: dict[str, str]) -> dict[str, str]:
        return {carrier: _valid_pattern(pattern) for carrier, pattern in value.items()}

    def sql_variables(self, as_of: datetime) -> dict[str, Any]:
        """The values the SQL models and checks read with getvariable()."""
        return {
            "as_of": as_of,
            "calendar_timezone": self.calendar.timezone,
            "business_day_hours": self.calendar.close_hour - self.calendar.open_hour,
            **self.thresholds.model_dump(),
        }

    def check_overrides(self) -> dict[str, dict[str, str | None]]:
        """Severity and owner per check, where the settings change them."""
        return {
            check_id: override.model_dump(include={"severity", "owner"}) for check_id, override in self.checks.items()
        }

    def escalation(self, check_id: str) -> float | None:
        """Business hours open before the check's exceptions go up one severity level."""
        override = self.checks.get(check_id)
        if override and override.escalate_every_business_hours is not None:
            return override.escalate_every_business_hours
        return self.ledger.escalate_every_business_hours


def _merge(base: dict, override: dict) -> dict:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _read_yaml(path: Path) -> dict:
    try:
        data = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError as exc:
        raise SettingsError(f"settings file not found: {path}") from exc
    except yaml.YAMLError as exc:
        raise SettingsError(f"{path}: not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise SettingsError(f"{path}: expected a mapping of sections at the top level")
    return data


def _environment_overrides(environ: dict[str, str]) -> dict:
    """RETAGUARDA__THRESHOLDS__PAYMENT_SLA_HOURS=72 -> {thresholds: {payment_sla_hours: 72}}."""
    overrides: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        keys = name[len(ENV_PREFIX) :].lower().split("__")
        node = overrides
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = yaml.safe_load(raw)
    return overrides


def load_settings(path: Path | str | None = None, environ: dict[str, str] | None = None) -> Settings:
    environ = dict(os.environ if environ is None else environ)
    data = _read_yaml(DEFAULTS_FILE)
    path = path or environ.get("RETAGUARDA_SETTINGS")
    if path:
        data = _merge(data, _read_yaml(Path(path)))
    data = _merge(data, _environment_overrides(environ))
    try:
        return Settings.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise SettingsError(f"invalid settings: {problems}") from exc
