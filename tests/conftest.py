from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest
import yaml

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from retaguarda.settings import load_settings  # noqa: E402
from warehouse.database import connect, migrate, set_variables  # noqa: E402

AS_OF = datetime(2026, 11, 27, 15, 0, tzinfo=UTC)
README = Path(__file__).resolve().parent.parent / "README.md"
LINEAGE = {"_source": "test", "_batch_id": "b1", "_file": "literal", "_loaded_at": AS_OF}


@pytest.fixture
def warehouse() -> duckdb.DuckDBPyConnection:
    """A migrated in-memory warehouse with the default thresholds bound, as_of = AS_OF."""
    con = connect(":memory:")
    migrate(con, AS_OF)
    set_variables(con, load_settings(environ={}).sql_variables(AS_OF))
    yield con
    con.close()


def insert_raw(con: duckdb.DuckDBPyConnection, table: str, *rows: dict[str, Any]) -> None:
    """Append literal rows to a raw table, as text, with test lineage."""
    for number, row in enumerate(rows, start=1):
        values = {**{k: None if v is None else str(v) for k, v in row.items()}, **LINEAGE, "_row_number": number}
        columns = ", ".join(values)
        marks = ", ".join("?" for _ in values)
        con.execute(f"insert into raw.{table} ({columns}) values ({marks})", list(values.values()))


def rows(con: duckdb.DuckDBPyConnection, sql: str, *params: Any) -> list[tuple]:
    return con.execute(sql, list(params)).fetchall()


@pytest.fixture(scope="session")
def prefect_server():
    """One temporary Prefect API for the whole session: it is slow to start."""
    from prefect.testing.utilities import prefect_test_harness

    # As long as the CLI gives its temporary server (retaguarda/server.py): 120 s is missed on a busy 2-core machine.
    timeout = int(os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "300"))
    with prefect_test_harness(server_startup_timeout=timeout):
        yield


# Every path setting, relative to the settings file: a test's files stay in its temporary folder.
TEMPORARY_PATHS = {"warehouse": {"path": "warehouse.duckdb"}, "source": {"folder": "feed"},
                   "ledger": {"export_dir": "exports"}, "report": {"dir": "reports"}}


def write_settings(path, **sections: dict) -> str:
    """A settings file overriding the given sections of config/defaults.yaml; paths default to beside it."""
    import yaml

    sections = {name: {**TEMPORARY_PATHS.get(name, {}), **values}
                for name, values in {**{name: {} for name in TEMPORARY_PATHS}, **sections}.items()}
    path.write_text(yaml.safe_dump({k: {kk: str(vv) if hasattr(vv, "parts") else vv for kk, vv in v.items()}
                                    for k, v in sections.items()}))
    return str(path)


def readme_automation(name: str):
    """The Prefect automation the README gives under `name`, as Prefect reads it."""
    from prefect.events.schemas.automations import AutomationCore

    snippet = README.read_text().split(f"```yaml\nname: {name}\n")[1].split("```")[0]
    return AutomationCore.model_validate(yaml.safe_load(f"name: {name}\n" + snippet))
