"""prefect.yaml is valid and every entrypoint imports as a flow."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from prefect import Flow
from prefect.cli.deploy._models import PrefectYamlModel
from prefect.flows import load_flow_from_entrypoint

ROOT = Path(__file__).resolve().parent.parent


def test_every_entrypoint_is_a_flow_with_a_schedule_in_a_known_zone():
    config = PrefectYamlModel.model_validate(yaml.safe_load((ROOT / "prefect.yaml").read_text()))
    assert config.deployments
    for deployment in config.deployments:
        flow = load_flow_from_entrypoint(str(ROOT / deployment.entrypoint))
        assert isinstance(flow, Flow), deployment.entrypoint
        for schedule in deployment.schedules or []:
            assert schedule.cron and schedule.timezone


def deployments() -> dict[str, dict]:
    """prefect.yaml's deployments by their Prefect name, `flow/deployment`."""
    config = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    named = {}
    for deployment in config["deployments"]:
        flow = load_flow_from_entrypoint(str(ROOT / deployment["entrypoint"]))
        named[f"{flow.name}/{deployment['name']}"] = deployment
    return named


def test_reconcile_all_is_the_schedule_and_starts_a_deployment_that_exists():
    from flows.reconcile_all import TENANT_DEPLOYMENT

    named = deployments()
    scheduled = [name for name, d in named.items() if any(s.get("active", True) for s in d.get("schedules") or [])]
    assert scheduled == ["reconcile-all/hourly"]
    assert named["reconcile-all/hourly"]["concurrency_limit"]["limit"] == 1  # hours in order
    tenant = named[TENANT_DEPLOYMENT]
    assert "tenant" in tenant["parameters"]
    # the one-writer rule is per tenant (the writer lock): tenants must be able to run together
    assert tenant["concurrency_limit"]["limit"] > 1
    assert tenant["work_pool"] == named["reconcile-all/hourly"]["work_pool"]


def test_reconcile_all_finds_the_tenants_or_the_single_shop(tmp_path, monkeypatch):
    from flows.reconcile_all import ONE_SHOP, _names
    from retaguarda.tenants import TenantError

    settings = tmp_path / "settings.yaml"  # its folder has no tenants/: one shop, as before tenants
    settings.write_text("{}\n")
    monkeypatch.delenv("RETAGUARDA_TENANTS", raising=False)
    assert _names(None, str(settings)) == [ONE_SHOP]
    (tmp_path / "tenants").mkdir()
    for name in ("b-shop", "a-shop", "defaults"):
        (tmp_path / "tenants" / f"{name}.yaml").write_text("{}\n")
    assert _names(None, str(settings)) == ["a-shop", "b-shop"]
    assert _names(["b-shop"], str(settings)) == ["b-shop"]
    monkeypatch.setenv("RETAGUARDA_TENANTS", str(tmp_path / "missing"))
    with pytest.raises(TenantError, match="no tenants folder"):
        _names(None, str(settings))
