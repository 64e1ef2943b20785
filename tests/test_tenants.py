"""Tenants' settings: the layers, `{tenant}`, names, and the places two tenants may never share."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from report.build import report_as_of, report_name
from retaguarda.cli import main
from retaguarda.settings import ROOT, SettingsError, load_settings
from retaguarda.tenants import (
    TENANTS_VARIABLE,
    TenantError,
    load_all,
    load_tenant,
    tenant_names,
    tenants_folder,
)
from tasks.alerts import digest
from tasks.artifacts import artifact_key
from tasks.digest import Change

SHARED = {
    "warehouse": {"path": "shops/{tenant}/warehouse.duckdb"},
    "source": {"folder": "shops/{tenant}/feed"},
    "ledger": {"export_dir": "shops/{tenant}/exports"},
    "report": {"dir": "shops/{tenant}/reports", "language": "pt-BR"},
    "demo": {"seed": 5},
}


def write(path: Path, data: dict) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture
def tree(tmp_path) -> Path:
    folder = tmp_path / "tenants"
    write(folder / "defaults.yaml", SHARED)
    write(folder / "beta.yaml", {"report": {"language": "en"}, "calendar": {"subdivision": "RJ"}})
    write(folder / "alpha.yaml", {"demo": {"seed": 9}})
    return folder


def test_names_are_the_files_sorted_without_the_shared_one(tree):
    assert tenant_names(tree) == ["alpha", "beta"]


def test_a_tenant_is_its_file_over_the_shared_file_over_the_defaults(tree):
    beta = load_tenant("beta", tree, environ={})
    alpha = load_tenant("alpha", tree, environ={})
    single = load_settings(environ={})
    assert (beta.tenant, alpha.tenant, single.tenant) == ("beta", "alpha", None)
    assert beta.report.language == "en" and alpha.report.language == "pt-BR"  # own file over the shared one
    assert beta.calendar.subdivision == "RJ" and alpha.calendar.subdivision is None
    assert (alpha.demo.seed, beta.demo.seed) == (9, 5)
    assert alpha.calendar.timezone == single.calendar.timezone  # config/defaults.yaml below both
    # {tenant} in the shared file, relative to that file's folder
    assert alpha.warehouse.path == tree / "shops" / "alpha" / "warehouse.duckdb"
    assert beta.report.dir == tree / "shops" / "beta" / "reports"
    assert alpha.sql_variables(datetime(2026, 1, 1, tzinfo=UTC))["tenant"] == "alpha"
    assert single.sql_variables(datetime(2026, 1, 1, tzinfo=UTC))["tenant"] is None


def test_the_settings_file_lies_between_the_defaults_and_the_tenants(tree, tmp_path):
    settings = write(tmp_path / "settings.yaml", {"demo": {"orders_per_hour": 3, "seed": 1}})
    alpha = load_tenant("alpha", tree, settings, environ={})
    assert (alpha.demo.orders_per_hour, alpha.demo.seed) == (3, 9)


def test_the_environment_still_comes_last(tree):
    alpha = load_tenant("alpha", tree, environ={"RETAGUARDA__DEMO__SEED": "42"})
    assert alpha.demo.seed == 42


@pytest.mark.parametrize("name", ["Alpha", "1shop", "a" * 41, "../alpha", "sh op", "", "defaults"])
def test_bad_names_are_refused(tree, name):
    with pytest.raises(TenantError, match=repr(name) if name != "defaults" else "shared layer"):
        load_tenant(name, tree, environ={})


def test_a_badly_named_file_fails_the_listing(tree):
    write(tree / "Shop.yaml", {})
    with pytest.raises(TenantError, match="'Shop'"):
        tenant_names(tree)


def test_an_unknown_tenant_names_the_missing_file(tree):
    with pytest.raises(TenantError, match="gamma.yaml does not exist"):
        load_tenant("gamma", tree, environ={})


def test_two_tenants_sharing_a_warehouse_are_refused_naming_both(tree):
    write(tree / "alpha.yaml", {"warehouse": {"path": "shops/beta/warehouse.duckdb"}})
    for loading in (lambda: load_tenant("alpha", tree, environ={}), lambda: load_all(tree, environ={})):
        with pytest.raises(TenantError) as caught:
            loading()
        assert "alpha" in str(caught.value) and "tenant beta" in str(caught.value)
        assert "warehouse" in str(caught.value)


@pytest.mark.parametrize("section, key, label", [("report", "dir", "report folder"),
                                                 ("ledger", "export_dir", "export folder")])
def test_shared_report_and_export_folders_are_refused(tree, section, key, label):
    write(tree / "beta.yaml", {section: {key: "common"}})
    write(tree / "alpha.yaml", {section: {key: "common"}})
    with pytest.raises(TenantError, match=f"tenant beta and tenant alpha share the {label}"):
        load_all(tree, environ={})


def test_a_tenant_may_not_take_the_single_shops_warehouse(tmp_path):
    write(tmp_path / "tenants" / "solo.yaml", {})  # no shared file: every path is the single shop's
    with pytest.raises(TenantError, match="the single-shop settings share the warehouse"):
        load_tenant("solo", tmp_path / "tenants", environ={})


def test_the_tenant_is_never_set_by_a_file_or_a_variable(tree, tmp_path):
    with pytest.raises(SettingsError, match="RETAGUARDA__TENANT is not a setting"):
        load_settings(environ={"RETAGUARDA__TENANT": "alpha"})
    with pytest.raises(SettingsError, match="`tenant` is not set in a file"):
        load_settings(write(tmp_path / "s.yaml", {"tenant": "alpha"}), environ={})


def test_where_the_tenants_folder_is(tmp_path):
    settings = write(tmp_path / "conf" / "settings.yaml", {})
    assert tenants_folder(environ={}) == ROOT / "tenants"
    assert tenants_folder(None, settings, environ={}) == tmp_path / "conf" / "tenants"
    assert tenants_folder(None, None, {"RETAGUARDA_SETTINGS": str(settings)}) == tmp_path / "conf" / "tenants"
    assert tenants_folder(None, settings, {TENANTS_VARIABLE: str(tmp_path / "t")}) == tmp_path / "t"
    assert tenants_folder(tmp_path / "x", settings, {TENANTS_VARIABLE: str(tmp_path / "t")}) == tmp_path / "x"


def test_names_of_reports_artifacts_and_digests():
    as_of = datetime(2026, 11, 30, 15, 0, tzinfo=UTC)
    assert report_name(as_of) == "report-20261130T1500Z.html"
    assert report_name(as_of, "shop_a") == "report-shop_a-20261130T1500Z.html"
    assert report_as_of(report_name(as_of, "shop_a"), "shop_a") == as_of
    assert report_as_of(report_name(as_of, "shop_a")) is None  # not the single shop's file
    assert report_as_of(report_name(as_of)) == as_of
    assert artifact_key("changes", None) == "changes"
    assert artifact_key("changes", "shop_a") == "shop-a-changes"
    change = Change("new", "high", "late_shipment", "picking_and_packing", "ORD-1", "logistics", None, "e" * 32)
    subject, _ = digest([change], "2026-11-30 14:00Z to 15:00Z", "logistics", "shop_a")
    assert subject.startswith("Retaguarda shop_a 2026-11-30 14:00Z to 15:00Z for logistics: 1 new")
    assert digest([change], "w", "logistics")[0].startswith("Retaguarda w for logistics")


def test_the_cli_lists_tenants_and_refuses_bad_ones(tree, capsys, monkeypatch):
    monkeypatch.setenv(TENANTS_VARIABLE, str(tree))  # main() sets it from --tenants: restored after the test
    assert main(["--tenants", str(tree), "tenants", "--output", "csv"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1:] == [f"alpha,{tree / 'shops/alpha/warehouse.duckdb'},,never run,",
                         f"beta,{tree / 'shops/beta/warehouse.duckdb'},,never run,"]
    assert main(["--tenants", str(tree), "check-config", "-t", "Beta"]) == 2
    assert "invalid tenant name 'Beta'" in capsys.readouterr().err
    assert main(["-t", "beta", "--tenants", str(tree), "check-config"]) == 0
    assert "settings valid; tenant beta; " in capsys.readouterr().out


def test_the_example_tree_loads_three_shops_apart():
    shops = load_all(ROOT / "examples" / "tenants", environ={})
    assert list(shops) == ["loja-sp", "north-outlet", "rio_moda"]
    assert len({s.warehouse.path.resolve() for s in shops.values()}) == 3
    assert all(s.warehouse.path.resolve().is_relative_to(ROOT / "data" / "tenants") for s in shops.values())
    assert {s.calendar.subdivision for s in shops.values()} == {"SP", "RJ", None}
    assert {s.report.language for s in shops.values()} == {"en", "pt-BR"}
