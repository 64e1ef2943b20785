"""Settings: defaults, a settings file and the environment, merged by pydantic-settings."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from retaguarda.settings import DEFAULTS_FILE, ROOT, Settings, SettingsError, _path_keys, load_settings


def write(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data))
    return path


def error_of(*args, **kwargs) -> str:
    with pytest.raises(SettingsError) as caught:
        load_settings(*args, **kwargs)
    return str(caught.value)


def test_defaults_are_the_defaults_file():
    defaults = yaml.safe_load(DEFAULTS_FILE.read_text())
    settings = load_settings(environ={})
    suites = {}
    for path in (ROOT / "expectations").glob("*.yaml"):  # each threshold's default lives with its checks
        suites |= yaml.safe_load(path.read_text()).get("thresholds") or {}
    assert settings.thresholds.model_dump() == {name: t["default"] for name, t in suites.items()}
    assert settings.carriers == defaults["carriers"]
    assert settings.calendar.holidays == defaults["calendar"]["holidays"]


def test_default_paths_are_under_the_repository_wherever_it_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = load_settings(environ={})
    assert settings.warehouse.path == ROOT / "data" / "retaguarda.duckdb"
    assert settings.report.dir == ROOT / "data" / "reports"


def test_paths_in_a_settings_file_are_relative_to_its_folder(tmp_path, monkeypatch):
    path = write(tmp_path / "site" / "retaguarda.yaml", {
        "warehouse": {"path": "db/w.duckdb"},
        "source": {"kind": "mapped", "folder": "../feeds", "mapping": "mapping.yaml"},
        "report": {"dir": str(tmp_path / "absolute")},
    })
    monkeypatch.chdir(ROOT)
    settings = load_settings(path, environ={})
    assert settings.warehouse.path == tmp_path / "site" / "db" / "w.duckdb"
    assert settings.source.folder.resolve() == tmp_path / "feeds"
    assert settings.source.mapping == tmp_path / "site" / "mapping.yaml"
    assert settings.report.dir == tmp_path / "absolute"
    assert settings.ledger.export_dir == ROOT / "data" / "exports"  # not in the file: the default's


def test_settings_file_from_the_environment_variable(tmp_path):
    path = write(tmp_path / "s.yaml", {"thresholds": {"payment_sla_hours": 60}})
    assert load_settings(environ={"RETAGUARDA_SETTINGS": str(path)}).thresholds.payment_sla_hours == 60


def test_environment_overrides_the_file_and_reads_yaml(tmp_path, monkeypatch):
    path = write(tmp_path / "s.yaml", {"thresholds": {"payment_sla_hours": 60}, "alerts": {"block": "a/b"}})
    monkeypatch.chdir(tmp_path)
    settings = load_settings(path, environ={
        "RETAGUARDA__THRESHOLDS__PAYMENT_SLA_HOURS": "72",
        "RETAGUARDA__THRESHOLDS__ACCEPTED_CURRENCIES": "[BRL, USD]",
        "RETAGUARDA__ALERTS__BLOCK": "null",
        "RETAGUARDA__CHECKS__LATE_SHIPMENT__OWNER": "dc-sao-paulo",
        "RETAGUARDA__CALENDAR__EXTRA_HOLIDAYS": "[2026-01-25]",
        "RETAGUARDA__WAREHOUSE__PATH": "here.duckdb",
        "OTHER__THRESHOLDS__PAYMENT_SLA_HOURS": "1",
    })
    assert settings.thresholds.payment_sla_hours == 72
    assert settings.thresholds.refund_grace_hours == 24  # the rest of the section stays
    assert settings.thresholds.accepted_currencies == ["BRL", "USD"]
    assert settings.alerts.block is None
    assert settings.check_overrides() == {"late_shipment": {"severity": None, "owner": "dc-sao-paulo", "enabled": True}}
    assert settings.warehouse.path == tmp_path / "here.duckdb"
    assert not settings.calendar.business_calendar().is_working_day(settings.calendar.extra_holidays[0])


def test_settings_class_reads_the_process_environment(monkeypatch):
    monkeypatch.setenv("RETAGUARDA__DEMO__SEED", "11")
    monkeypatch.delenv("RETAGUARDA_SETTINGS", raising=False)
    assert Settings() == load_settings()
    assert Settings().demo.seed == 11


def test_unknown_keys_fail_naming_the_key(tmp_path):
    assert error_of(environ={"RETAGUARDA__THRESHOLDS__PAYMENT_SLA_HOURZ": "1"}) == (
        "invalid settings: thresholds.payment_sla_hourz: Extra inputs are not permitted "
        "(from RETAGUARDA__THRESHOLDS__PAYMENT_SLA_HOURZ)"
    )
    assert "warehous__path: Extra inputs are not permitted" in error_of(environ={"RETAGUARDA__WAREHOUS__PATH": "x"})
    path = write(tmp_path / "s.yaml", {"report": {"languag": "pt-BR"}})
    assert error_of(path, environ={}) == "invalid settings: report.languag: Extra inputs are not permitted"


def test_bad_values_fail_naming_the_key(tmp_path):
    path = write(tmp_path / "s.yaml", {"calendar": {"subdivision": "XX", "timezone": "Mars/Olympus"}})
    message = error_of(path, environ={})
    assert "calendar.subdivision: Value error, unknown subdivision 'XX'" in message
    assert "calendar.timezone: Value error, unknown time zone 'Mars/Olympus'" in message
    assert "source.mapping" in error_of(environ={"RETAGUARDA__SOURCE__KIND": "mapped"})


def test_unreadable_files_fail_clearly(tmp_path):
    missing = tmp_path / "nope.yaml"
    assert error_of(missing, environ={}) == f"settings file not found: {missing}"
    broken = tmp_path / "broken.yaml"
    broken.write_text("thresholds: [\n")
    assert error_of(broken, environ={}).startswith(f"{broken}: not valid YAML")
    listed = tmp_path / "list.yaml"
    listed.write_text("- a\n- b\n")
    assert error_of(listed, environ={}) == f"{listed}: expected a mapping of sections at the top level"


def test_test_settings_keep_every_path_in_the_temporary_folder(tmp_path):
    from conftest import write_settings

    settings = load_settings(write_settings(tmp_path / "s.yaml", demo={"days": 1}), environ={})
    paths = [getattr(getattr(settings, section), key) for section, keys in _path_keys(Settings).items()
             for key in keys]
    assert len(paths) == 5
    assert [p for p in paths if p is not None and not p.is_relative_to(tmp_path)] == []
