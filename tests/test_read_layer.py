"""The read side: readers never touch staging or core, a past window reads its own publication,
and severities and ledger statuses are each defined once."""

from __future__ import annotations

import csv
import dataclasses
import json
import re
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest
from conftest import AS_OF, write_settings

from expectations.catalog import SEVERITIES
from flows.hourly_reconciliation import hourly_reconciliation
from report.queries import load_report_data
from retaguarda.cli import OK, main
from retaguarda.settings import load_settings
from tasks.digest import open_by_stage
from tasks.ledger import acknowledge
from warehouse.database import connect, prepare_session
from warehouse.publication import PUBLISHED_DIR

ROOT = Path(__file__).resolve().parent.parent
WINDOW_A = datetime(2026, 11, 26, 16, 0, tzinfo=UTC)  # a Thursday: promises fall due in the days before
WINDOW_B = WINDOW_A + timedelta(hours=3)
READERS = [
    ROOT / "retaguarda" / "cli.py", ROOT / "tasks" / "artifacts.py", ROOT / "tasks" / "digest.py",
    ROOT / "tasks" / "alerts.py", *sorted((ROOT / "report").rglob("*.py")), *sorted((ROOT / "report").rglob("*.sql")),
    *sorted((ROOT / "tasks" / "sql").glob("*.sql")),
]
PACKAGES = [d for d in ROOT.iterdir() if d.is_dir() and not d.name.startswith(".") and d.name not in ("tests", "data")]
CODE = [p for d in PACKAGES for p in (*d.rglob("*.py"), *d.rglob("*.sql"))]


def _sequences_of(names: tuple[str, ...]) -> re.Pattern:
    """Two of `names`, quoted, next to each other in a list or tuple: where a list is spelt out."""
    name = "|".join(names)
    return re.compile(rf"""['"]({name})['"]\s*,\s*['"]({name})['"]""")


def test_readers_never_query_staging_or_core():
    found = [
        f"{path.relative_to(ROOT)}: {match.group(0)}"
        for path in READERS
        for match in re.finditer(r"(?<![\w.])(staging|core)\.[a-z_]+", path.read_text())  # not great_expectations.core
    ]
    assert READERS and found == []


def test_severities_and_ledger_statuses_are_spelt_out_once():
    severity_lists = _sequences_of(("low", "medium", "high", "critical"))
    status_lists = _sequences_of(("open", "acknowledged", "reopened", "resolved"))
    where = {
        kind: sorted(str(p.relative_to(ROOT)) for p in CODE if pattern.search(p.read_text()))
        for kind, pattern in (("severities", severity_lists), ("statuses", status_lists))
    }
    assert where == {"severities": ["expectations/catalog.py"], "statuses": ["tasks/ledger.py"]}
    # The escalation cap is the list's length, not a number written next to it.
    assert "len(getvariable('severities'))" in (ROOT / "warehouse" / "ledger" / "next.sql").read_text()


@pytest.fixture(scope="module")
def two_windows(tmp_path_factory, prefect_server) -> dict:
    """Window A published, what it published read independently, then an ack and window B."""
    folder = tmp_path_factory.mktemp("two_windows")
    settings_file = write_settings(
        folder / "settings.yaml",
        warehouse={"path": folder / "warehouse.duckdb"},
        source={"kind": "demo", "folder": folder / "feed"},
        demo={"days": 5, "orders_per_hour": 5},
        ledger={"export_dir": folder / "exports"},
        report={"dir": folder / "reports"},
    )
    settings = load_settings(settings_file)
    run_a = hourly_reconciliation(window_start=WINDOW_A, settings_file=settings_file)
    con = connect(settings.warehouse.path)
    try:
        at_a = {
            "as_of": run_a.window.end,
            "active": _active_ledger(con),
            "on_time": _on_time_from_core(con, run_a.window.end),
            "data": _report_data(con, run_a.run_id),
            # the headline counts each order once: what publish measured for A, read before B runs
            "money": con.execute(
                "select money_at_risk from exceptions.publications where run_id = ?", [run_a.run_id]
            ).fetchone()[0],
        }
        # Someone takes an open exception after A: A's report must still show it open.
        taken = con.execute("select min(exception_id) from exceptions.ledger where status = 'open'").fetchone()[0]
        acknowledge(con, taken, "ana", "on it", WINDOW_A + timedelta(hours=2))
    finally:
        con.close()
    run_b = hourly_reconciliation(window_start=WINDOW_B, settings_file=settings_file)
    assert run_a.published and run_b.published
    return {"settings_file": settings_file, "settings": settings, "run_a": run_a, "run_b": run_b,
            "at_a": at_a, "taken": taken}


def _active_ledger(con: duckdb.DuckDBPyConnection) -> dict[str, tuple]:
    """The ledger's active rows, straight from the table."""
    rows = con.execute(
        "select exception_id, check_id, status, severity, owner, age_business_hours, amount_at_risk, evidence, "
        "acknowledged_by from exceptions.ledger where status <> 'resolved'"
    ).fetchall()
    return {row[0]: (*row[1:7], json.loads(row[7], parse_float=Decimal) if row[7] else {}, row[8]) for row in rows}


def _on_time_from_core(con: duckdb.DuckDBPyConnection, as_of: datetime) -> tuple[int, int, int, int]:
    """The on-time figures as the report used to derive them, from the core facts of then."""
    return con.execute(
        """
        select
            (select count(*) from core.order_fulfillment where promised_ship_by > $as_of - interval 7 day
                and promised_ship_by <= $as_of and status not in ('cancelled', 'pending_payment')),
            (select count(*) from core.order_fulfillment where promised_ship_by > $as_of - interval 7 day
                and promised_ship_by <= $as_of and status not in ('cancelled', 'pending_payment')
                and fulfilled and last_shipped_at <= promised_ship_by),
            (select count(*) from core.order_delivery where promised_delivery_by > $as_of - interval 7 day
                and promised_delivery_by <= $as_of and status not in ('cancelled', 'pending_payment')),
            (select count(*) from core.order_delivery where promised_delivery_by > $as_of - interval 7 day
                and promised_delivery_by <= $as_of and status not in ('cancelled', 'pending_payment')
                and all_delivered and last_delivered_at <= promised_delivery_by)
        """,
        {"as_of": as_of},
    ).fetchone()


def _report_data(con: duckdb.DuckDBPyConnection, run_id: str):
    cursor = con.cursor()
    prepare_session(cursor)
    return load_report_data(cursor, run_id)


def _reader(settings) -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(str(settings.warehouse.path), read_only=True)
    prepare_session(con)
    return con


def test_window_b_changed_what_window_a_published(two_windows):
    con = _reader(two_windows["settings"])
    try:
        now = _active_ledger(con)
        assert now != two_windows["at_a"]["active"]
        assert now.get(two_windows["taken"], (None, "resolved"))[1] in ("acknowledged", "resolved")
    finally:
        con.close()


def test_a_past_window_reads_what_it_published(two_windows):
    at_a, run_a = two_windows["at_a"], two_windows["run_a"]
    con = _reader(two_windows["settings"])
    try:
        past = _report_data(con, run_a.run_id)
    finally:
        con.close()
    assert not past.publication.is_latest and past.publication.as_of == at_a["as_of"]

    shown = {
        item.exception_id: (item.check_id, item.status, item.severity, item.owner, item.age_business_hours,
                            item.amount_at_risk, item.evidence, item.acknowledged_by)
        for item in past.open_exceptions
    }
    assert shown == at_a["active"] and len(shown) > 0
    assert shown[two_windows["taken"]][1] == "open"

    h = past.headline
    assert h.open == len(at_a["active"])
    assert h.acknowledged == sum(1 for row in at_a["active"].values() if row[1] == "acknowledged")
    assert h.money_at_risk == at_a["money"]
    assert h.money_at_risk <= sum((row[5] or 0 for row in at_a["active"].values()), Decimal(0))
    assert (h.ship_due, h.ship_on_time, h.delivery_due, h.delivery_on_time) == at_a["on_time"]
    assert h.ship_due > 0

    owners: dict[str, int] = {}
    for row in at_a["active"].values():
        owners[row[3]] = owners.get(row[3], 0) + 1
    assert {o.name: o.exceptions for o in past.offenders if o.dimension == "owner"} == owners

    # Everything else on the page, as read while A was the latest publication.
    then = at_a["data"]
    assert dataclasses.replace(past, publication=then.publication) == then


def test_the_cli_reports_a_past_window_with_its_own_figures(two_windows, capsys):
    capsys.readouterr()
    code = main(["--settings", two_windows["settings_file"], "report", "--window-start", WINDOW_A.isoformat()])
    path = Path(capsys.readouterr().out.strip())
    assert code == OK and path.name == f"report-{WINDOW_A + timedelta(hours=1):%Y%m%dT%H%MZ}.html"
    html = path.read_text()
    assert "data-past-window" in html
    assert f'data-kpi="open" data-value="{len(two_windows["at_a"]["active"])}"' in html


def test_the_run_summary_artifact_reads_its_own_publication(two_windows):
    at_a = two_windows["at_a"]["active"]
    con = _reader(two_windows["settings"])
    try:
        stages = open_by_stage(con, two_windows["run_a"].run_id)
    finally:
        con.close()
    assert sum(n for _, n, _ in stages) == len(at_a)
    assert sum(money for _, _, money in stages) == pytest.approx(float(sum(r[5] or 0 for r in at_a.values())))


def test_the_open_export_lists_the_worst_first(two_windows):
    exported = two_windows["settings"].ledger.export_dir / "open_exceptions.csv"
    with exported.open(newline="") as file:
        ranks = [SEVERITIES.index(row["severity"]) for row in csv.DictReader(file)]
    assert len(set(ranks)) > 2 and ranks == sorted(ranks, reverse=True)


def test_on_time_figures_take_lateness_from_the_published_checks(warehouse):
    """Literal orders: lateness comes from exceptions.current; without its check the rate is unknown."""
    promise = AS_OF - timedelta(days=1)
    warehouse.execute(
        "create table core.order_fulfillment as select * from (values "
        "('o1', 'shipped', ?::timestamptz, true), ('o2', 'shipped', ?, true), ('o3', 'paid', ?, false), "
        "('o4', 'cancelled', ?, false), ('o5', 'shipped', ?, true)) "
        "as t(order_id, status, promised_ship_by, fulfilled)",
        [promise, promise, promise, promise, AS_OF - timedelta(days=8)],
    )
    warehouse.execute(
        "create table core.order_delivery as select * from (values ('o1', 'delivered', ?::timestamptz, true), "
        "('o2', 'shipped', ?, false)) as t(order_id, status, promised_delivery_by, all_delivered)",
        [promise, promise],
    )
    warehouse.execute("insert into exceptions.checks values "
                      "('late_shipment', 'picking_packing', 'order', 'high', 'ops', 'late', null)")
    warehouse.execute(
        "create or replace table exceptions.current as select * from (values "
        "('late_shipment', 'o2'), ('late_shipment', 'o3'), ('late_shipment', 'o5'), ('unknown_sku', 'o1')) "
        "as t(check_id, entity_id)"
    )
    warehouse.execute((PUBLISHED_DIR / "on_time.sql").read_text(), {"run_id": "r1", "as_of": AS_OF})
    # o1..o3 due (o4 cancelled, o5 promised too long ago); o2 and o3 late. No late_delivery check.
    assert warehouse.execute("select * exclude (as_of) from published.on_time").fetchall() == [("r1", 3, 1, 2, None)]
