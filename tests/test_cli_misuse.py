"""Every usage or settings mistake exits 2 with one message and no traceback: the installed script, for real."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from conftest import write_settings

from retaguarda.cli import USAGE

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = str(ROOT / ".venv" / "bin" / "retaguarda")


def _settings(folder: Path, **sections) -> str:
    return write_settings(folder / "settings.yaml", warehouse={"path": folder / "warehouse.duckdb"}, **sections)


def _latin1(folder: Path) -> str:
    path = folder / "latin1.yaml"
    path.write_bytes("calendar:\n  timezone: São Paulo\n".encode("latin-1"))
    return str(path)


def _warehouse_folder(folder: Path) -> str:
    (folder / "warehouse").mkdir()
    return write_settings(folder / "settings.yaml", warehouse={"path": folder / "warehouse"})


# (name, argv built in a temporary folder, environment, a phrase the message must hold)
CASES = [
    ("negative limit", lambda f: ["--settings", _settings(f), "exceptions", "--limit", "-1"], {}, "--limit"),
    ("reversed backfill", lambda f: ["--settings", _settings(f), "backfill", "2026-11-24T10:00Z",
                                     "2026-11-24T08:00Z"], {}, "is not after its start"),
    ("unknown check", lambda f: ["--settings", _settings(f), "exceptions", "--check", "no_such_check"], {},
     "unknown --check 'no_such_check'; valid: awaiting_payment_too_long, billed_weight_mismatch"),
    ("unknown stage", lambda f: ["--settings", _settings(f), "exceptions", "--stage", "shipping"], {},
     "unknown --stage 'shipping'; valid: allocation, carrier_billing, delivery, handover"),
    ("zero limit", lambda f: ["--settings", _settings(f), "runs", "--limit", "0"], {}, "--all for no limit"),
    ("email block without addresses", lambda f: ["--settings", _settings(f, alerts={
        "owners": {"finance": "email-server-credentials/finance"}}), "check-config"], {},
     "email blocks need addresses in alerts.recipients: email-server-credentials/finance"),
    ("owner block not type/name", lambda f: ["--settings", _settings(f, alerts={"owners": {"finance": "finance"}}),
                                             "check-config"], {}, "alerts.owners: Value error, a block is named"),
    ("settings not UTF-8", lambda f: ["--settings", _latin1(f), "check-config"], {}, "not UTF-8"),
    ("settings is a folder", lambda f: ["--settings", str(f), "check-config"], {}, "is a folder"),
    ("bad environment override", lambda f: ["--settings", _settings(f), "check-config"],
     {"RETAGUARDA__THRESHOLDS": "{not yaml"}, "RETAGUARDA__THRESHOLDS"),
    ("bad environment value", lambda f: ["--settings", _settings(f), "check-config"],
     {"RETAGUARDA__WAREHOUSE": "{path: [1]}"}, "RETAGUARDA__WAREHOUSE"),
    ("missing mapping", lambda f: ["--settings", _settings(f, source={"kind": "mapped", "mapping": f / "none.yaml"}),
                                   "run"], {}, "none.yaml"),
    ("schedule minute past 59", lambda f: ["--settings", _settings(f), "schedule", "--minute", "60"], {},
     "invalid choice"),
    ("schedule with a missing mapping", lambda f: ["--settings", _settings(
        f, source={"kind": "mapped", "mapping": f / "none.yaml"}), "schedule"], {}, "none.yaml"),
    ("window not on the hour", lambda f: ["--settings", _settings(f), "run", "--window-start", "2026-11-24T10:30Z"],
     {}, "on the hour"),
    ("warehouse is a folder", lambda f: ["--settings", _warehouse_folder(f), "exceptions"], {}, "is a folder"),
    ("unknown command", lambda f: ["--settings", _settings(f), "nope"], {}, "invalid choice"),
]


def _run(argv: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    environment = {name: value for name, value in os.environ.items() if not name.startswith("RETAGUARDA")}
    return subprocess.run([SCRIPT, *argv], capture_output=True, text=True, env={**environment, **env}, timeout=120)


@pytest.mark.parametrize(("build", "env", "phrase"), [case[1:] for case in CASES], ids=[case[0] for case in CASES])
def test_a_usage_or_settings_error_exits_2_without_a_traceback(tmp_path, build, env, phrase):
    done = _run(build(tmp_path), env)
    assert done.returncode == USAGE, done.stderr
    assert "Traceback" not in done.stderr and phrase in done.stderr, done.stderr
    assert done.stdout == ""


@pytest.mark.parametrize("before", [True, False], ids=["before the command", "after the command"])
def test_settings_work_before_or_after_the_command(tmp_path, before):
    settings = write_settings(tmp_path / "settings.yaml", warehouse={"path": tmp_path / "elsewhere.duckdb"})
    argv = ["--settings", settings, "check-config"] if before else ["check-config", "--settings", settings]
    done = _run(argv, {})
    assert done.returncode == 0, done.stderr
    assert str(tmp_path / "elsewhere.duckdb") in done.stdout  # the file's warehouse, not the default one
