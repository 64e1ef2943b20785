"""Start-up guards: read-only commands and the flow module stay free of the heavy imports.

Each case runs in a fresh interpreter and reports which modules it loaded, so a new
top-level `import great_expectations` (or of the flows, Prefect or the simulator) in a
module the CLI imports makes these fail. The figures are in docs/benchmarks.md.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import write_settings

from warehouse.database import connect, migrate
from warehouse.reader_copy import write_reader_copy

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("great_expectations", "prefect", "flows", "simulator", "scipy", "polars", "report.render")
# Not pandas: DuckDB's Python client imports it itself the first time a query binds a parameter.

LOADED = """
import json, sys
{body}
heavy = {heavy!r}
print(json.dumps(sorted({{name for name in sys.modules for h in heavy if name == h or name.startswith(h + ".")}})))
"""


def loaded_modules(
    body: str, heavy: tuple[str, ...] = HEAVY, env: dict[str, str] | None = None
) -> tuple[list[str], str]:
    done = subprocess.run(
        [sys.executable, "-c", LOADED.format(body=body, heavy=heavy)],
        capture_output=True, text=True, cwd=ROOT, timeout=300, env=env,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    last = done.stdout.strip().splitlines()[-1]
    return json.loads(last), done.stdout


def run_cli(*argv: str) -> str:
    return f"""
from retaguarda.cli import main
code = main({list(argv)!r})
print("exit", code)
"""


@pytest.fixture(scope="module")
def empty_warehouse(tmp_path_factory) -> str:
    """A migrated warehouse with its reader copy, as after a first run: read-only commands succeed on it."""
    folder = tmp_path_factory.mktemp("startup")
    settings = write_settings(folder / "settings.yaml", warehouse={"path": folder / "warehouse.duckdb"})
    con = connect(folder / "warehouse.duckdb")
    try:
        migrate(con, datetime(2026, 11, 27, 15, tzinfo=UTC))
        write_reader_copy(con, folder / "warehouse.duckdb")
    finally:
        con.close()
    return settings


def test_help_loads_no_heavy_module():
    loaded, out = loaded_modules(run_cli("--help").replace("code = main", "try:\n    main").replace(
        '\nprint("exit", code)', "\nexcept SystemExit:\n    pass"))
    assert "backfill" in out  # the help did print
    assert loaded == []


@pytest.mark.parametrize("command", [("exceptions",), ("exceptions", "--output", "json"), ("runs",)])
def test_read_only_commands_load_no_heavy_module(empty_warehouse, command):
    loaded, out = loaded_modules(run_cli("--settings", empty_warehouse, *command))
    assert "exit 0" in out
    assert loaded == []


def test_check_config_loads_no_heavy_module(empty_warehouse):
    loaded, out = loaded_modules(run_cli("--settings", empty_warehouse, "check-config"))
    assert "exit 0" in out and "will be evaluated" in out
    assert loaded == []


def test_check_config_of_a_mapped_source_loads_neither_prefect_nor_gx(tmp_path):
    mapping = ROOT / "examples" / "shop_export" / "mapping.yaml"
    settings = write_settings(tmp_path / "settings.yaml", source={"kind": "mapped", "mapping": mapping})
    loaded, out = loaded_modules(run_cli("--settings", settings, "check-config"),
                                 ("great_expectations", "prefect", "flows", "simulator"))
    assert "exit 0" in out and "mapping valid" in out
    assert loaded == []


ANALYTICS = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1", "GX_ANALYTICS_ENABLED": "false"}
SEEN = "import os\nprint(json.dumps({{n: os.environ.get(n) for n in {names!r}}}))\n"


@pytest.mark.parametrize("given", [{}, {"DO_NOT_TRACK": "0", "PREFECT_SERVER_ANALYTICS_ENABLED": "true"}])
def test_the_cli_turns_analytics_off_before_prefect_unless_the_user_chose(given):
    """Outside make nothing sets them: the CLI does, as it starts, keeping what the user set."""
    env = {**{k: v for k, v in os.environ.items() if k not in ANALYTICS}, **given}
    body = ("import retaguarda.cli\n" + SEEN.format(names=list(ANALYTICS))
            + "try:\n    retaguarda.cli.main(['--help'])\nexcept SystemExit:\n    pass\n"
            + SEEN.format(names=list(ANALYTICS)))
    loaded, out = loaded_modules(body, env=env)
    before, after = (json.loads(line) for line in out.splitlines() if line.startswith("{"))
    assert before == {name: given.get(name) for name in ANALYTICS}  # importing the CLI changes nothing
    assert after == {**ANALYTICS, **given}
    assert loaded == []  # and Prefect was not imported to do it


def test_the_guard_sees_a_heavy_import():
    """The check above can fail: the same probe sees GX once something imports it."""
    loaded, _ = loaded_modules("from expectations.gx_import import great_expectations\ngreat_expectations()")
    assert "great_expectations" in loaded


def test_flow_module_imports_without_gx_or_the_report_renderer():
    loaded, _ = loaded_modules("import flows.hourly_reconciliation", ("great_expectations", "scipy", "report.render",
                                                                    "jinja2", "simulator"))
    assert loaded == []


def test_gx_loads_without_scipy_stats_until_it_is_used():
    body = """
from expectations.gx_import import great_expectations
gx = great_expectations()
import great_expectations.expectations as gxe
before = "scipy.stats._stats_py" in sys.modules
from scipy import stats
entropy = float(stats.entropy([0.5, 0.5], base=2))
print("before", before, "entropy", entropy)
"""
    loaded, out = loaded_modules(body, ("scipy.stats._stats_py",))
    assert "before False entropy 1.0" in out  # deferred at first, and a working module once read
    assert loaded == ["scipy.stats._stats_py"]


def test_schedule_runs_every_hour_once_in_order_and_retries_a_failed_one():
    from flows.schedule import run_schedule

    clock = [datetime(2026, 11, 30, 10, 7, tzinfo=UTC)]
    attempts: list[datetime] = []

    def run(start: datetime) -> None:
        attempts.append(start)
        if start.hour == 10 and attempts.count(start) == 1:
            raise RuntimeError("warehouse busy")

    def sleep(seconds: float) -> None:
        clock[0] += timedelta(seconds=seconds)

    done = run_schedule(run, minute=5, runs=4, now=lambda: clock[0], sleep=sleep)
    hour = [datetime(2026, 11, 30, h, tzinfo=UTC) for h in range(9, 13)]
    # 10:07 runs 09:00; 11:05 fails 10:00; 12:05 retries 10:00 then runs 11:00; 13:05 runs 12:00
    assert attempts == [hour[0], hour[1], hour[1], hour[2], hour[3]]
    assert done == hour
    assert clock[0] == datetime(2026, 11, 30, 13, 5, tzinfo=UTC)
