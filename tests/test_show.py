"""`retaguarda show` on one exception of every check, after one real flow run on the demo world.

The lineage it prints is checked against the feed files themselves: each input row named must
exist at that file and row number, and the entity's own row must hold the entity id.
"""

from __future__ import annotations

import csv
import json
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest
from conftest import write_settings

from expectations.catalog import all_checks
from flows.hourly_reconciliation import hourly_reconciliation
from retaguarda.cli import NOT_FOUND, OK, USAGE, main
from retaguarda.settings import load_settings
from simulator.injectors import NOT_SIMULATED
from tasks.retention import prune
from warehouse.database import connect
from warehouse.lineage import HOME_TABLE, lineage_tables, write_lineage

ROOT = Path(__file__).resolve().parent.parent
# Twelve days of a busy, error-prone shop, ending on a Friday afternoon: every simulated check
# has an open exception at the window end (simulator ground truth: open_at).
WINDOW = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)
DEMO = {"seed": 1, "days": 12, "orders_per_hour": 4, "anomaly_rate": 0.2}
# The demo world delivers no bad rows: an allocation export with one, for an order of its own.
QUARANTINED_ORDER = "ORD-QUARANTINED-1"
BAD_ALLOCATIONS = (
    "allocation_id,order_id,line_no,sku,warehouse_id,quantity,allocated_at\n"
    f"A-Q1,{QUARANTINED_ORDER},1,SKU-0001,WH-SP,lots,2026-11-27T10:00:00Z\n"
)


@pytest.fixture(scope="module")
def world(tmp_path_factory, prefect_server):
    folder = tmp_path_factory.mktemp("show")
    (folder / "feed" / "stock").mkdir(parents=True)
    (folder / "feed" / "stock" / "zz-allocations.csv").write_text(BAD_ALLOCATIONS)
    settings = write_settings(
        folder / "settings.yaml",
        warehouse={"path": folder / "warehouse.duckdb"},
        source={"kind": "demo", "folder": folder / "feed"},
        demo=DEMO,
        ledger={"export_dir": folder / "exports"},
        report={"dir": folder / "reports"},
    )
    hourly_reconciliation(window_start=WINDOW, settings_file=settings)
    return folder, settings


def show(capsys, settings: str, exception_id: str, *options: str) -> tuple[int, str, str]:
    capsys.readouterr()
    code = main(["show", exception_id, *options, "--settings", settings])
    out, err = capsys.readouterr()
    return code, out, err


def one_per_check(folder: Path) -> dict[str, tuple[str, str, str]]:
    """check id -> (exception id, entity id, evidence) of one active exception, read from the warehouse."""
    con = duckdb.connect(str(folder / "warehouse.duckdb"), read_only=True)
    try:
        found = con.execute(
            "select check_id, min_by(exception_id, exception_id), min_by(entity_id, exception_id), "
            "min_by(evidence, exception_id) from exceptions.ledger where status <> 'resolved' group by check_id"
        ).fetchall()
    finally:
        con.close()
    return {check_id: (exception_id, entity, evidence) for check_id, exception_id, entity, evidence in found}


def row_text(file: str, row_number: int) -> str:
    """The text of one row of a feed file, read without the pipeline's readers."""
    path = Path(file)
    assert path.is_file(), f"{file} is not a file"
    assert row_number >= 1, f"{file}: row {row_number}"
    if path.suffix == ".json":
        return json.dumps(json.loads(path.read_text())["orders"][row_number - 1])
    if path.suffix == ".jsonl":
        return path.read_text().splitlines()[row_number - 1]
    with path.open(newline="") as handle:
        return ",".join(list(csv.reader(handle))[row_number])  # row 1 is the line after the header


def test_every_check_has_an_exception_to_show(world):
    folder, _ = world
    assert set(one_per_check(folder)) == {check.id for check in all_checks()}
    assert set(NOT_SIMULATED) == {"order_inputs_quarantined"}, "a check the demo cannot raise needs rows here"


@pytest.mark.parametrize("check", all_checks(), ids=lambda check: check.id)
def test_show_explains_one_exception_of_every_check(world, capsys, check):
    folder, settings = world
    exception_id, entity_id, evidence = one_per_check(folder)[check.id]
    code, out, err = show(capsys, settings, exception_id[:10], "--output", "json")
    assert (code, err) == (OK, "")
    detail = json.loads(out)

    assert detail["exception"]["exception_id"] == exception_id
    assert detail["exception"]["entity_id"] == entity_id
    assert {key: detail["check"][key] for key in ("id", "stage", "severity", "owner", "catches")} == {
        "id": check.id, "stage": check.stage, "severity": check.severity, "owner": check.owner,
        "catches": check.catches}
    assert detail["check"]["sql"] == (ROOT / "expectations" / "sql" / f"{check.id}.sql").read_text()
    assert [item["field"] for item in detail["evidence"]] == list(json.loads(evidence))
    assert isinstance(detail["exception"]["occurrences"], int)
    opened = datetime.fromisoformat(detail["exception"]["opened_at"])
    assert opened.tzinfo is not None and opened <= WINDOW + timedelta(hours=1)

    lineage = detail["lineage"]
    assert lineage, "the input rows are named"
    allowed = {table for check_id, table in lineage_tables(all_checks()) if check_id == check.id}
    assert {row["table_name"] for row in lineage} <= allowed
    for row in lineage:
        text = row_text(row["file"], row["row_number"])
        if row["table_name"] != "quarantine":  # its key is the reason, not a value of the row
            first_value = row["row_key"].split(",")[0].partition("=")[2]
            assert first_value in text, f"{row['file']} row {row['row_number']} does not hold {row['row_key']}"
    own = {"order_inputs_quarantined": "quarantine"}.get(check.id, HOME_TABLE[check.entity])
    own_rows = [row_text(row["file"], row["row_number"]) for row in lineage if row["table_name"] == own]
    parts = entity_id.split(":") if check.entity in ("stock_position", "order_line") else [entity_id]
    assert own_rows and all(all(part in text for part in parts) for text in own_rows), own_rows

    assert [(e["event"], datetime.fromisoformat(e["as_of"])) for e in detail["events"]] == [
        ("new", WINDOW + timedelta(hours=1))]
    assert detail["actions"] == []
    active = sum(1 for c, *_ in _active(folder) if c == check.id)
    assert [(datetime.fromisoformat(h["as_of"]), h["active"]) for h in detail["history"]] == [
        (WINDOW + timedelta(hours=1), active)]

    code, text, _ = show(capsys, settings, exception_id)
    assert code == OK
    assert f"check {check.id}" in text and lineage[0]["file"] in text and "-03" in text  # Sao Paulo time, labelled


def _active(folder: Path) -> list[tuple]:
    con = duckdb.connect(str(folder / "warehouse.duckdb"), read_only=True)
    try:
        return con.execute("select check_id, exception_id from exceptions.ledger where status <> 'resolved'").fetchall()
    finally:
        con.close()


def test_unknown_or_ambiguous_ids(world, capsys):
    _, settings = world
    code, _, err = show(capsys, settings, "not-an-id")
    assert code == NOT_FOUND and "no exception" in err and "not-an-id" in err
    code, _, err = show(capsys, settings, "")
    assert code == NOT_FOUND
    code, _, err = show(capsys, settings, "a")  # hundreds of ids: several start with any hex digit
    assert code == USAGE and "several exceptions" in err


def test_an_acknowledgement_shows_with_who_and_why(world, capsys):
    folder, settings = world
    exception_id, _, _ = one_per_check(folder)["late_shipment"]
    assert main(["ack", exception_id[:12], "--by", "ana", "--note", "carrier called", "--settings", settings]) == OK
    code, out, _ = show(capsys, settings, exception_id, "--output", "json")
    actions = json.loads(out)["actions"]
    assert code == OK and [(a["action"], a["actor"], a["note"]) for a in actions] == [
        ("acknowledge", "ana", "carrier called")]
    assert json.loads(out)["exception"]["status"] == "acknowledged"


def test_lineage_is_written_again_only_for_what_changed_and_pruned_with_the_ledger(world, tmp_path):
    folder, settings = world
    copy = tmp_path / "warehouse.duckdb"
    shutil.copy(folder / "warehouse.duckdb", copy)
    con = connect(copy)
    try:
        tables = lineage_tables(all_checks())
        assert write_lineage(con, "again", WINDOW, tables) == 0, "nothing changed: nothing is resolved again"
        ids = [row[0] for row in con.execute(
            "select exception_id from exceptions.ledger where status <> 'resolved' order by 1 limit 2").fetchall()]
        con.execute("update exceptions.ledger set evidence = '{\"changed\": 1}' where exception_id = ?", [ids[0]])
        assert write_lineage(con, "again", WINDOW, tables) == 1
        runs = dict(con.execute("select exception_id, list(distinct run_id) from published.exception_lineage "
                                "where exception_id in ? group by 1", [ids]).fetchall())
        assert runs[ids[0]] == ["again"] and "again" not in runs[ids[1]]
        # reopened by a run: its rows may have been delivered again since
        con.execute("insert into exceptions.ledger_events (run_id, as_of, exception_id, event, severity) "
                    "values ('reopening', ?, ?, 'reopened', 'high')", [WINDOW, ids[1]])
        assert write_lineage(con, "reopening", WINDOW, tables) == 1
        assert write_lineage(con, "later", WINDOW, tables) == 0

        # resolved long ago and pruned from the ledger: its lineage goes with it
        con.execute("update exceptions.ledger set status = 'resolved', resolved_at = ? where exception_id = ?",
                    [WINDOW - timedelta(days=400), ids[1]])
        before = con.execute("select count(distinct exception_id) from published.exception_lineage").fetchone()[0]
        deleted = prune(con, load_settings(settings).retention, datetime.now(UTC))
        assert deleted["exceptions.ledger"] == 1 and deleted["published.exception_lineage"] > 0
        after = {row[0] for row in con.execute("select distinct exception_id from published.exception_lineage")
                 .fetchall()}
        assert ids[1] not in after and len(after) == before - 1
    finally:
        con.close()
