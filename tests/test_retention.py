"""Retention prunes superseded raw rows and old history, never what is still in use."""

from __future__ import annotations

from datetime import timedelta

from conftest import AS_OF, insert_raw, rows
from test_ledger import MONDAY, run
from test_models import ORDER, build_all

from retaguarda.settings import RetentionSettings, load_settings
from tasks.reference import load_reference_tables
from tasks.retention import prune
from warehouse.database import MACROS

KEEP = RetentionSettings(raw_days=30, history_days=90)


def test_superseded_raw_rows_go_the_latest_versions_stay(warehouse):
    insert_raw(warehouse, "orders", {**ORDER, "status": "pending_payment", "updated_at": "2026-11-26T12:00:00Z"},
               ORDER, {**ORDER, "order_id": "O-2"})
    build_all(warehouse)
    assert prune(warehouse, KEEP, AS_OF) == {}  # loaded just now: too young to prune
    assert prune(warehouse, KEEP, AS_OF + timedelta(days=31)) == {"raw.orders": 1}
    assert rows(warehouse, "select order_id, status from raw.orders order by 1") == [("O-1", "paid"), ("O-2", "paid")]


def test_old_history_goes_open_exceptions_stay(warehouse):
    load_reference_tables(warehouse, load_settings(environ={}), AS_OF)
    warehouse.execute(MACROS.read_text())
    # the order values the money figure caps by, in staging.orders' shape
    warehouse.execute("create table staging.orders "
                      "(order_id varchar, total_amount decimal(18, 2), _batch_id varchar, _row_number bigint)")
    warehouse.execute("insert into exceptions.checks values "
                      "('oversold', 'allocation', 'stock_position', 'high', 'planning', 'oversold', null)")
    run(warehouse, MONDAY, ("oversold", "WH:A"), ("oversold", "WH:B"))
    run(warehouse, MONDAY + timedelta(hours=1), ("oversold", "WH:A"))  # WH:B resolved
    deleted = prune(warehouse, KEEP, MONDAY + timedelta(days=91))
    assert deleted["exceptions.ledger"] == 1 and deleted["exceptions.history"] == 3
    assert rows(warehouse, "select entity_id, status from exceptions.ledger") == [("WH:A", "open")]
    assert rows(warehouse, "select count(*) from exceptions.ledger_events") == [(0,)]
