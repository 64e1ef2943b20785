"""The references in docs/ cover every table, check and setting the code has."""

from __future__ import annotations

from pathlib import Path

import yaml
from conftest import AS_OF

from expectations.catalog import all_checks, all_thresholds, load_catalog
from expectations.docs import render as render_checks
from retaguarda import configuration_doc
from retaguarda.settings import DEFAULTS_FILE, Settings, load_settings
from tasks.materialise import materialise_checks
from tasks.publish import publish
from tasks.transform import build_models

DOCS = Path(__file__).resolve().parent.parent / "docs"


def test_every_table_is_in_the_table_reference(warehouse):
    settings = load_settings(environ={})
    build_models(warehouse, settings, AS_OF)
    materialise_checks(warehouse, load_catalog(), AS_OF)
    publish(warehouse, load_catalog(), settings, "run-1", AS_OF)
    reference = (DOCS / "tables.md").read_text()
    tables = warehouse.execute(
        "select table_schema || '.' || table_name from information_schema.tables "
        "where table_schema in ('raw', 'staging', 'core', 'exceptions', 'audit')"
    ).fetchall()
    check_tables = {f"exceptions.{check.id}" for check in all_checks()}
    missing = sorted(t for (t,) in tables if t not in check_tables and f"`{t}`" not in reference)
    assert missing == []


def test_the_check_reference_is_generated_from_the_catalog():
    reference = (DOCS / "checks.md").read_text()
    assert reference == render_checks(load_catalog()), "stale: run python -m expectations.docs"
    assert [c.id for c in all_checks() if f"| `{c.id}` |" not in reference] == []


def test_configuration_reference_is_generated_from_the_settings_model():
    # stale: run `python -m retaguarda.configuration_doc`
    assert (DOCS / "configuration.md").read_text() == configuration_doc.render()


def test_the_check_reference_shows_threshold_defaults_from_the_settings():
    settings_default = load_settings(environ={}).thresholds.split_parcel_window_hours
    row = next(line for line in render_checks(load_catalog()).splitlines() if "`split_shipment_overcharge`" in line)
    assert f"| `split_parcel_window_hours` = {settings_default:g} |" in row



def test_every_setting_is_in_the_configuration_reference():
    reference = (DOCS / "configuration.md").read_text()
    keys = [
        f"{section}.{key}" if key else section
        for section, field in Settings.model_fields.items()
        for key in getattr(field.annotation, "model_fields", [None])
    ]
    defaults = yaml.safe_load(DEFAULTS_FILE.read_text())
    # thresholds have their defaults beside their checks, in the suite YAMLs
    defaults["thresholds"] = {t.name: t.default for t in all_thresholds()}
    assert sorted(keys) == sorted(  # every key has a default, and every default a setting
        f"{section}.{key}" if section not in ("carriers", "checks", "tenant") else section
        for section, values in defaults.items()
        for key in (values if section not in ("carriers", "checks", "tenant") else [None])
    )
    assert [key for key in keys if f"| `{key}` |" not in reference] == []
