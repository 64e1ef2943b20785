"""Tenants: many shops in one settings tree, each reconciled into its own warehouse.

A tenant is `tenants/<name>.yaml`, layered over the shared `tenants/defaults.yaml` (optional),
over the settings file (if any) and config/defaults.yaml; RETAGUARDA__ variables still come
last. `{tenant}` in any string of those files is the tenant's name, so one shared file gives
each shop its own warehouse, feed, report and export folders.

The tenants folder: the one given (`--tenants`), else $RETAGUARDA_TENANTS, else `tenants/`
beside the settings file (--settings or $RETAGUARDA_SETTINGS), else `tenants/` in the
repository root.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from pathlib import Path

from retaguarda.settings import (
    ROOT,
    SETTINGS_FILE_VARIABLE,
    TENANT_PATTERN,
    Settings,
    SettingsError,
    load_settings,
)

TENANTS_VARIABLE = "RETAGUARDA_TENANTS"
SHARED_FILE = "defaults.yaml"  # the shared layer; so `defaults` is never a tenant's name


class TenantError(SettingsError):
    """A tenant that does not exist, is badly named, or would share another's files."""


def tenants_folder(
    folder: Path | str | None = None, settings_file: Path | str | None = None, environ: Mapping[str, str] | None = None
) -> Path:
    """Where the tenants' files are (see the module doc for the order)."""
    environ = os.environ if environ is None else environ
    if folder:
        return Path(folder).expanduser().resolve()
    if environ.get(TENANTS_VARIABLE):
        return Path(environ[TENANTS_VARIABLE]).expanduser().resolve()
    settings_file = settings_file or environ.get(SETTINGS_FILE_VARIABLE)
    if settings_file:
        return Path(settings_file).expanduser().resolve().parent / "tenants"
    return ROOT / "tenants"


def check_name(name: str) -> str:
    if not isinstance(name, str) or not re.fullmatch(TENANT_PATTERN, name):
        raise TenantError(
            f"invalid tenant name {name!r}: a lowercase letter, then up to 39 lowercase letters, digits, _ or -"
        )
    if name == SHARED_FILE.removesuffix(".yaml"):
        raise TenantError(f"'defaults' is not a tenant: tenants/{SHARED_FILE} is the tenants' shared layer")
    return name


def tenant_names(
    folder: Path | str | None = None, settings_file: Path | str | None = None, environ: Mapping[str, str] | None = None
) -> list[str]:
    """The tenants in the folder, sorted: every `<name>.yaml` but `defaults.yaml`."""
    where = tenants_folder(folder, settings_file, environ)
    if not where.is_dir():
        raise TenantError(f"no tenants folder at {where}: give --tenants FOLDER or set {TENANTS_VARIABLE}")
    names = sorted(path.stem for path in where.glob("*.yaml") if path.name != SHARED_FILE)
    for name in names:
        check_name(name)  # a file that cannot be a tenant is an error, not silently skipped
    return names


def _load(name: str, where: Path, settings_file: Path | str | None, environ: Mapping[str, str] | None) -> Settings:
    own = where / f"{name}.yaml"
    if not own.is_file():
        raise TenantError(f"no tenant {name!r}: {own} does not exist")
    shared = where / SHARED_FILE
    files = (own, shared) if shared.is_file() else (own,)
    try:
        return load_settings(settings_file, environ, tenant=name, tenant_files=files)
    except SettingsError as exc:
        raise TenantError(f"tenant {name}: {exc}") from exc


def _warehouse(settings: Settings) -> str:
    """Where a tenant's tables are: its DuckDB file; in a DuckLake, whose catalog database tenants
    share by design, its metadata schema there."""
    if settings.warehouse.kind == "ducklake":
        return str(settings.warehouse.target)
    return str(Path(settings.warehouse.path).resolve())


def _lake_files(settings: Settings) -> str | None:
    """A DuckLake's data path: two lakes in one folder would each take the other's files for orphans."""
    return settings.warehouse.data_path if settings.warehouse.kind == "ducklake" else None


SHARED_PLACES = {  # what two tenants may never share: label -> where it is in the settings
    "warehouse": _warehouse,
    "lake data path": _lake_files,
    "report folder": lambda s: str(Path(s.report.dir).resolve()),
    "export folder": lambda s: str(Path(s.ledger.export_dir).resolve()),
}
SINGLE_SHOP = "the single-shop settings"


def _shared(name: str, settings: Settings, others: Mapping[str, Settings]) -> list[str]:
    """One sentence per place `name` shares with one of `others`."""
    problems = []
    for label, place in SHARED_PLACES.items():
        mine = place(settings)
        for other, theirs in others.items():
            if other != name and mine is not None and place(theirs) == mine:
                who = SINGLE_SHOP if other == SINGLE_SHOP else f"tenant {other}"
                problems.append(f"tenant {name} and {who} share the {label} {mine}")
    return problems


def _refuse(problems: list[str]) -> None:
    if problems:
        raise TenantError("; ".join(problems) + f" (give each its own, e.g. with {{tenant}} in {SHARED_FILE})")


def load_tenant(
    name: str,
    folder: Path | str | None = None,
    settings_file: Path | str | None = None,
    environ: Mapping[str, str] | None = None,
) -> Settings:
    """The settings of tenant `name`; refused when it would share a warehouse, report or export folder
    with another tenant of the folder or with the single-shop settings."""
    check_name(name)
    where = tenants_folder(folder, settings_file, environ)
    settings = _load(name, where, settings_file, environ)
    others: dict[str, Settings] = {SINGLE_SHOP: load_settings(settings_file, environ)}
    for other in tenant_names(where):
        if other != name:
            try:
                others[other] = _load(other, where, settings_file, environ)
            except TenantError:
                continue  # its own load says what is wrong with it; it cannot take this one's files
    _refuse(_shared(name, settings, others))
    return settings


def load_all(
    folder: Path | str | None = None, settings_file: Path | str | None = None, environ: Mapping[str, str] | None = None
) -> dict[str, Settings]:
    """Every tenant's settings, by name; refused when any two share a warehouse, report or export folder."""
    where = tenants_folder(folder, settings_file, environ)
    tenants = {name: _load(name, where, settings_file, environ) for name in tenant_names(where)}
    single = load_settings(settings_file, environ)
    names = list(tenants)
    problems = []
    for i, name in enumerate(names):  # each pair once, and each tenant against the single shop
        earlier = {other: tenants[other] for other in names[:i]}
        problems += _shared(name, tenants[name], {SINGLE_SHOP: single, **earlier})
    _refuse(problems)
    return tenants


def settings_for(settings_file: Path | str | None = None, tenant: str | None = None) -> Settings:
    """A flow's settings: the tenant's (its folder from $RETAGUARDA_TENANTS or beside the settings file), or
    with no tenant the single-shop settings, exactly as before tenants."""
    if tenant is None:
        return load_settings(settings_file)
    return load_tenant(tenant, settings_file=settings_file)
