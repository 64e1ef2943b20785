"""prefect.yaml is valid and every entrypoint imports as a flow."""

from __future__ import annotations

from pathlib import Path

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
