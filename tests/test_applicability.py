"""Check applicability: what each check needs, and what a run does when it is missing."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import duckdb
import pytest
import yaml
from conftest import AS_OF, insert_raw, rows

from expectations.catalog import SQL_DIR as CHECKS_SQL
from expectations.catalog import CatalogError, all_checks, configured_catalog, load_catalog, load_suite
from retaguarda.settings import CheckOverride, load_settings
from sources.canonical import TABLES
from tasks.applicability import decide_checks
from tasks.check_reasons import decide_statically
from tasks.materialise import materialise_checks, work_table
from tasks.publish import publish
from tasks.transform import build_models, drop_derived
from warehouse.database import SQL_DIR, model_references

# --- the declarations -------------------------------------------------------------------


def _suite_with(tmp_path: Path, needs: list[str]) -> Path:
    path = tmp_path / "allocation.yaml"
    path.write_text(yaml.safe_dump({
        "stage": "allocation", "title": "Allocation", "batch": "core.stock_positions",
        "checks": [{"id": "oversold", "needs": needs, "entity": "stock_position", "severity": "high",
                    "owner": "x", "catches": "y"}],
    }))
    return path


def test_the_catalog_accepts_canonical_needs_and_refuses_others(tmp_path):
    assert load_suite(_suite_with(tmp_path, ["stock_snapshots.on_hand", "skus"])).checks[0].needs == (
        "stock_snapshots.on_hand", "skus")
    with pytest.raises(CatalogError, match="unknown table 'stock'"):
        load_suite(_suite_with(tmp_path, ["stock.on_hand"]))
    with pytest.raises(CatalogError, match="unknown column 'orders.paid_at'"):
        load_suite(_suite_with(tmp_path, ["orders.paid_at"]))
    with pytest.raises(CatalogError, match="needs must be a non-empty list"):
        load_suite(_suite_with(tmp_path, []))


def _reads(layer: str, name: str) -> tuple[set[str], str]:
    """The canonical tables a model reads through staging and core, and all the SQL text involved."""
    path = (CHECKS_SQL / f"{name}.sql") if layer == "check" else (SQL_DIR / layer / f"{name}.sql")
    sql = path.read_text()
    tables, text = set(), sql
    for other, model in model_references(sql):
        if other == "staging":
            tables.add(model)
        elif (SQL_DIR / "core" / f"{model}.sql").exists() and model != name:
            more, more_text = _reads("core", model)
            tables |= more
            text += more_text
    return tables, text


@pytest.mark.parametrize("check", all_checks(), ids=lambda check: check.id)
def test_a_check_declares_only_what_its_sql_reads(check):
    read, text = _reads("check", check.id)
    assert set(check.needed_tables) <= read, f"declared but never read: {set(check.needed_tables) - read}"
    direct = {model for layer, model in model_references(check.sql) if layer == "staging"}
    assert direct <= set(check.needed_tables), "a table the check's own SQL reads must be declared"
    for table, column in check.needed_columns:
        assert re.search(rf"\b{column}\b", text), f"{table}.{column} appears nowhere in the SQL the check reads"


def test_static_decision_for_a_mapping_without_an_allocation_feed(tmp_path):
    from sources.mapping import load_mapping

    mapping_file = Path(__file__).resolve().parent.parent / "examples" / "shop_export" / "mapping.yaml"
    mapping = load_mapping(mapping_file)
    mapped = {source.table for source in mapping.spec.sources}
    skipped = decide_statically(all_checks(), mapping)
    for check in all_checks():
        lacking = [table for table in check.needed_tables if table not in mapped]
        if lacking:  # computed here from the mapping's tables, not by the code under test
            assert skipped[check.id].startswith(f"no {lacking[0]} feed")
    assert skipped["not_allocated_in_sla"] == "no allocations feed"
    assert decide_statically(all_checks(), None) == {}


# --- a run's decision, on literal rows --------------------------------------------------

PLACED = "2026-11-23T12:00:00Z"  # a Monday: days of business hours before AS_OF


def _order(order_id: str, **changes) -> dict:
    return {"order_id": order_id, "channel": "web", "customer_id": "c1", "placed_at": PLACED, "status": "paid",
            "currency": "BRL", "shipping_amount": "0", "discount_amount": "0", "total_amount": "100.00",
            "promised_ship_by": "2026-12-10T12:00:00Z", "promised_delivery_by": "2026-12-15T12:00:00Z",
            "ship_to_country": "BR", "ship_to_region": "SP", "ship_to_postcode": "01000-000",
            "cancelled_at": None, "updated_at": "2026-11-23T12:05:00Z", **changes}


def _shop(con: duckdb.DuckDBPyConnection) -> None:
    """Two paid orders; only o2 is allocated, so o1 is not allocated in the SLA."""
    updated = "2026-11-23T12:05:00Z"
    insert_raw(con, "orders", _order("o1"), _order("o2"))
    insert_raw(con, "order_lines", *({"order_id": o, "order_updated_at": updated, "line_no": 1, "sku": "s1",
                                      "quantity": 1, "unit_price": "100.00"} for o in ("o1", "o2")))
    insert_raw(con, "payments", *({"payment_id": f"p-{o}", "order_id": o, "order_updated_at": updated,
                                   "kind": "capture", "amount": "100.00", "currency": "BRL",
                                   "occurred_at": updated} for o in ("o1", "o2")))
    insert_raw(con, "skus", {"sku": "s1", "description": "thing", "unit_weight_kg": "1", "reorder_point": None})
    insert_raw(con, "allocations", {"allocation_id": "a2", "order_id": "o2", "line_no": 1, "sku": "s1",
                                    "warehouse_id": "w1", "quantity": 1, "allocated_at": "2026-11-23T13:00:00Z"})


def _run(con, settings, run_id, as_of) -> dict[str, str]:
    """What the flow does between landing and sharing, with the real functions."""
    suites = configured_catalog(settings.check_overrides())
    build_models(con, settings, as_of)
    not_evaluated = decide_checks(con, suites, run_id, as_of)
    materialise_checks(con, suites, as_of, not_evaluated)
    assert publish(con, suites, settings, run_id, as_of).published
    return not_evaluated


def _ledger(con, check_id: str) -> list[tuple]:
    return rows(con, "select * from exceptions.ledger where check_id = ? order by entity_id", check_id)


def test_a_feed_that_disappears_leaves_its_open_exceptions_open(warehouse):
    settings = load_settings(environ={})
    _shop(warehouse)
    first = _run(warehouse, settings, "run-1", AS_OF)
    assert "not_allocated_in_sla" not in first
    before = _ledger(warehouse, "not_allocated_in_sla")
    assert [(row[4], row[6]) for row in before] == [("o1", "open")]

    warehouse.execute("delete from raw.allocations")  # the allocation feed is gone
    drop_derived(warehouse)  # staging keeps the history it folded: build again from raw, as a rebuild does
    second = _run(warehouse, settings, "run-2", AS_OF + timedelta(hours=1))
    assert second["not_allocated_in_sla"] == "no allocations feed"
    assert rows(warehouse, f"select count(*) from {work_table(_check('not_allocated_in_sla'))}") == [(0,)]
    assert _ledger(warehouse, "not_allocated_in_sla") == before  # neither resolved nor refreshed
    assert rows(warehouse, "select count(*) from exceptions.ledger_events where run_id = 'run-2' "
                           "and exception_id in (select exception_id from exceptions.ledger "
                           "where check_id = 'not_allocated_in_sla')") == [(0,)]
    assert rows(warehouse, "select evaluated, reason from audit.check_runs "
                           "where check_id = 'not_allocated_in_sla' order by run_id") == [
        (True, None), (False, "no allocations feed")]


def test_a_disabled_check_is_not_evaluated_and_keeps_its_open_exceptions(warehouse):
    settings = load_settings(environ={})
    _shop(warehouse)
    _run(warehouse, settings, "run-1", AS_OF)
    before = _ledger(warehouse, "not_allocated_in_sla")
    assert before
    disabled = settings.model_copy(update={"checks": {"not_allocated_in_sla": CheckOverride(enabled=False)}})
    second = _run(warehouse, disabled, "run-2", AS_OF + timedelta(hours=1))
    assert second["not_allocated_in_sla"] == "disabled in settings"
    assert _ledger(warehouse, "not_allocated_in_sla") == before
    # enabled again, the check runs and sees o1 again: the same open exception, seen later
    third = _run(warehouse, settings, "run-3", AS_OF + timedelta(hours=2))
    assert "not_allocated_in_sla" not in third
    after = _ledger(warehouse, "not_allocated_in_sla")
    assert [(row[0], row[6]) for row in after] == [(row[0], row[6]) for row in before]
    assert after != before  # refreshed this time: last seen later


def test_a_column_empty_in_every_row_is_not_evaluated(warehouse):
    settings = load_settings(environ={})
    _shop(warehouse)
    warehouse.execute("update raw.orders set total_amount = null")
    not_evaluated = _run(warehouse, settings, "run-1", AS_OF)
    assert not_evaluated["order_fields_valid"] == "orders.total_amount is empty in every row"
    assert not_evaluated["stockout_risk"].endswith("skus.reorder_point is empty in every row")
    assert "order_total_mismatch" in not_evaluated and "awaiting_payment_too_long" not in not_evaluated
    assert rows(warehouse, "select count(*) from audit.check_runs where not evaluated") == [(len(not_evaluated),)]


def test_payments_without_a_timestamp_do_not_make_orders_look_unpaid(warehouse):
    settings = load_settings(environ={})
    _shop(warehouse)
    warehouse.execute("update raw.payments set occurred_at = null")  # never known: staging has no payment
    not_evaluated = _run(warehouse, settings, "run-1", AS_OF)
    assert not_evaluated["awaiting_payment_too_long"] == "no payments feed"
    # the check's own SQL would have flagged both orders as unpaid for days: nothing is invented
    assert rows(warehouse, f"select count(*) from ({_check('awaiting_payment_too_long').sql})") == [(2,)]
    assert rows(warehouse, "select count(*) from exceptions.awaiting_payment_too_long") == [(0,)]
    assert rows(warehouse, "select count(*) from exceptions.ledger") == [(0,)]


def _check(check_id: str):
    return next(check for check in all_checks(load_catalog()) if check.id == check_id)


def test_every_canonical_table_is_in_some_checks_needs():
    needed = {table for check in all_checks() for table in check.needed_tables}
    assert needed == set(TABLES)


# --- check-config -----------------------------------------------------------------------

EXAMPLE_MAPPING = Path(__file__).resolve().parent.parent / "examples" / "shop_export" / "mapping.yaml"


def _check_config(capsys, tmp_path: Path, mapping_text: str, **sections) -> tuple[int, str, str]:
    from conftest import write_settings

    from retaguarda.cli import main

    mapping = tmp_path / "mapping.yaml"
    mapping.write_text(mapping_text)
    settings = write_settings(tmp_path / "settings.yaml", source={"kind": "mapped", "mapping": mapping}, **sections)
    code = main(["--settings", settings, "check-config"])
    out, err = capsys.readouterr()
    return code, out, err


def test_check_config_lists_what_a_mapping_cannot_feed(tmp_path, capsys):
    text = EXAMPLE_MAPPING.read_text().replace("      total_amount: {from: Total, required: true}\n", "")
    assert "total_amount" not in text.split("loja-itens")[0]
    code, out, err = _check_config(capsys, tmp_path, text, checks={"paid_amount_mismatch": {"enabled": False}})
    assert code == 0, err
    said = dict(line.removeprefix("not evaluated: ").split(": ", 1)
                for line in out.splitlines() if line.startswith("not evaluated: "))
    assert said["not_allocated_in_sla"] == "no allocations feed"
    assert said["paid_amount_mismatch"] == "disabled in settings"
    assert said["order_fields_valid"] == "orders.total_amount not mapped"
    assert said["late_delivery"] == "no shipments feed; no tracking_events feed"
    evaluated = next(line for line in out.splitlines() if line.startswith("will be evaluated"))
    assert evaluated.split(": ", 1)[1].split(", ") == ["order_inputs_quarantined", "awaiting_payment_too_long",
                                                     "cancelled_not_refunded", "impossible_timeline"]


def test_check_config_reports_a_bad_mapping_with_its_lines(tmp_path, capsys):
    text = EXAMPLE_MAPPING.read_text().replace("Pago: paid", "Pago: settled").replace(
        "table: payments", "table: payment")
    code, out, err = _check_config(capsys, tmp_path, text)
    assert code == 2 and "settings valid" not in out
    lines = text.splitlines()
    settled = next(n for n, line in enumerate(lines, 1) if "Pago: settled" in line)
    table = next(n for n, line in enumerate(lines, 1) if "table: payment" in line)
    mapping = tmp_path / "mapping.yaml"
    assert f"{mapping}:{settled}:" in err and "'settled' is not a canonical status" in err
    assert f"{mapping}:{table}:" in err and "unknown table 'payment'" in err


# --- whole runs -------------------------------------------------------------------------


def test_runs_without_an_allocation_feed_say_so_and_invent_nothing(tmp_path, prefect_server):
    from datetime import UTC, datetime

    from conftest import write_settings

    from flows.hourly_reconciliation import hourly_reconciliation
    from simulator import simulate
    from tasks.artifacts import summary_markdown

    window = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
    feed = tmp_path / "feed"
    simulate(feed, start=window - timedelta(days=1), end=window + timedelta(hours=2), seed=5, orders_per_hour=6,
             anomaly_rate=0.03)
    for file in (feed / "stock").glob("*allocations.csv"):
        file.unlink()
    settings = write_settings(tmp_path / "settings.yaml", source={"kind": "folder", "folder": feed})
    needing = {check.id for check in all_checks() if "allocations" in check.needed_tables}
    assert "not_allocated_in_sla" in needing

    first = hourly_reconciliation(window_start=window, settings_file=settings)
    second = hourly_reconciliation(window_start=window + timedelta(hours=1), settings_file=settings)
    for summary in (first, second):
        assert {c for c, why in summary.not_evaluated.items() if "no allocations feed" in why} == needing
        assert all(summary.exceptions[check_id] == 0 for check_id in needing)
        assert "not evaluated: not_allocated_in_sla: no allocations feed" in summary.report(load_catalog())
        validated = {result.check_id for result in summary.validations}  # GX leaves them out, cleanly
        assert not validated & needing and "oversold" in validated
    assert first.not_evaluated == second.not_evaluated  # nothing drifts from one hour to the next
    assert sum(second.exceptions.values()) > 0  # the checks that could be judged still were

    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    try:
        decided = rows(con, "select run_id, check_id, reason from audit.check_runs where not evaluated")
        assert sorted((c, r) for run, c, r in decided if run == first.run_id) == sorted(first.not_evaluated.items())
        assert sorted((c, r) for run, c, r in decided if run == second.run_id) == sorted(second.not_evaluated.items())
        assert rows(con, "select count(*) from exceptions.ledger where list_contains(?, check_id)",
                    sorted(needing)) == [(0,)]
        markdown = summary_markdown(con, load_settings(settings), load_catalog(), second.run_id, str(second.window))
        assert "| not_allocated_in_sla | no allocations feed |" in markdown
    finally:
        con.close()
    html = second.report_path.read_text()
    assert "Not allocated in SLA: not checked: no allocations feed" in html


def test_the_reasons_read_in_portuguese():
    from report.i18n import Translator
    from tasks.check_reasons import DISABLED, as_text, empty_column, no_feed

    why = [no_feed("allocations"), empty_column("orders", "total_amount")]
    codes = [reason.as_row() for reason in why]
    english = "no allocations feed; orders.total_amount is empty in every row"
    assert Translator("en").reason(codes) == as_text(why) == english
    assert Translator("pt-BR").reason(codes) == "sem o feed allocations; orders.total_amount vazia em todas as linhas"
    assert Translator("pt-BR")("not_checked", check="x", reason=Translator("pt-BR").reason([DISABLED.as_row()])) == (
        "x: não verificada: desativada nas configurações")


def test_the_applicability_table_in_docs_sources_is_current():
    from expectations import applicability_doc

    text = applicability_doc.DOC.read_text()
    assert applicability_doc.updated(text) == text, "stale: run uv run python -m expectations.applicability_doc"
    for check in all_checks():  # each row, read back from the page, is what the suite declares
        row = next(line for line in text.splitlines() if line.startswith(f"| `{check.id}` |"))
        assert re.findall(r"`([a-z_]+(?:\.[a-z_]+)?)`", row)[1:] == [
            *check.needed_tables, *(f"{t}.{c}" for t, c in check.needed_columns)]


def test_on_time_shipment_is_not_a_figure_when_late_shipment_was_not_evaluated(warehouse):
    settings = load_settings(environ={})
    _shop(warehouse)
    insert_raw(warehouse, "shipments", {"shipment_id": "sh2", "order_id": "o2", "warehouse_id": "w1",
                                        "carrier": "correios", "tracking_number": "AA123456789BR",
                                        "shipped_at": "2026-11-23T14:00:00Z", "declared_weight_kg": "1"})
    insert_raw(warehouse, "shipment_lines", {"shipment_id": "sh2", "sku": "s1", "quantity": 1})
    assert "late_shipment" not in _run(warehouse, settings, "run-1", AS_OF)
    disabled = settings.model_copy(update={"checks": {"late_shipment": CheckOverride(enabled=False)}})
    _run(warehouse, disabled, "run-2", AS_OF + timedelta(hours=1))
    assert rows(warehouse, "select run_id, ship_on_time from published.on_time order by run_id") == [
        ("run-1", 0), ("run-2", None)]
