"""Each check's SQL runs once per run: GX validates the materialised rows and publish swaps them in."""

from __future__ import annotations

from datetime import timedelta

import pytest
from conftest import AS_OF, insert_raw, rows
from test_checks import lines_for, order
from test_models import seed_catalog

from expectations.catalog import all_checks, load_catalog
from retaguarda.settings import load_settings
from tasks.materialise import StaleWorkError, materialise_checks
from tasks.publish import publish
from tasks.transform import build_models
from tasks.validate import validate_suites

SETTINGS = load_settings(environ={})


@pytest.fixture
def built(warehouse):
    seed_catalog(warehouse)
    insert_raw(warehouse, "orders", order("O-ok"), order("O-neg", total_amount="-1.00"), order("O-cur", currency="ARS"))
    insert_raw(warehouse, "order_lines", *lines_for("O-ok", "O-neg", "O-cur"))
    insert_raw(warehouse, "carrier_invoices", {
        "invoice_id": "I-ghost", "carrier": "loggi", "tracking_number": "LG9999999999", "billed_weight_kg": "1.0",
        "charged_amount": "30.00", "service": "standard", "invoiced_at": "2026-11-26T12:00:00Z"})
    build_models(warehouse, SETTINGS, AS_OF)
    return warehouse


def _sql_counts(con) -> dict[str, int]:
    return {c.id: rows(con, f"select count(*) from ({c.sql})")[0][0] for c in all_checks()}


def test_validation_and_publish_use_the_materialised_rows_not_a_second_run(built):
    expected = _sql_counts(built)
    assert expected["order_fields_valid"] == 2 and expected["charge_without_shipment"] == 1
    assert materialise_checks(built, load_catalog(), AS_OF) == expected
    # Were a check's SQL run again, it would now find nothing.
    built.execute("delete from core.order_capture; delete from core.carrier_billing")
    validated = {r.check_id: r.unexpected_count for r in validate_suites(built, SETTINGS.sql_variables(AS_OF),
                                                                           load_catalog()) if r.check_id != "contract"}
    publication = publish(built, load_catalog(), SETTINGS, "run-1", AS_OF)
    published = dict(rows(built, "select check_id, count(*) from exceptions.current group by all"))
    assert validated == publication.counts == expected
    assert published == {check_id: n for check_id, n in expected.items() if n}
    assert rows(built, "select entity_id from exceptions.order_fields_valid order by 1") == [("O-cur",), ("O-neg",)]


def test_an_older_window_counts_its_materialised_rows_and_publishes_nothing(built):
    materialise_checks(built, load_catalog(), AS_OF)
    publish(built, load_catalog(), SETTINGS, "run-new", AS_OF)
    ledger = rows(built, "select * from exceptions.ledger order by all")
    earlier = AS_OF - timedelta(hours=1)
    build_models(built, SETTINGS, earlier)
    expected = _sql_counts(built)
    materialise_checks(built, load_catalog(), earlier)
    built.execute("delete from core.order_capture")
    older = publish(built, load_catalog(), SETTINGS, "run-old", earlier)
    assert not older.published and older.counts == expected
    assert rows(built, "select * from exceptions.ledger order by all") == ledger


def test_publish_refuses_work_tables_of_another_window(built):
    with pytest.raises(StaleWorkError, match="no work tables"):
        publish(built, load_catalog(), SETTINGS, "run-1", AS_OF)
    materialise_checks(built, load_catalog(), AS_OF - timedelta(hours=1))
    with pytest.raises(StaleWorkError, match="not materialised for"):
        validate_suites(built, SETTINGS.sql_variables(AS_OF), load_catalog())
    with pytest.raises(StaleWorkError, match="not materialised for"):
        publish(built, load_catalog(), SETTINGS, "run-1", AS_OF)


def test_contract_results_name_their_column(built):
    catalog = load_catalog()
    materialise_checks(built, catalog, AS_OF)
    declared = sorted((suite.stage, kwargs.get("column")) for suite in catalog for _, kwargs in suite.contract)
    assert any(column for _, column in declared)
    results = [r for r in validate_suites(built, SETTINGS.sql_variables(AS_OF), catalog) if r.check_id == "contract"]
    assert sorted((r.suite, r.column) for r in results) == declared
    assert all(r.column in r.describe() for r in results if r.column)
