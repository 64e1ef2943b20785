"""Nothing silent: every raw row reaches staging or is superseded; orders missing inputs are reported."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from conftest import rows

from expectations.catalog import all_checks
from simulator import simulate
from sources.canonical import TABLES
from sources.mapping import builtin_mapping
from tasks.extract import FEEDS, extract_new_input
from tasks.land import land_files
from warehouse.database import STAGING_MODELS, connect, migrate, run_model, set_variables

END = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)
FAR_FUTURE = datetime(2100, 1, 1, tzinfo=UTC)
ALLOCATIONS = "allocation_id,order_id,line_no,sku,warehouse_id,quantity,allocated_at\n"


def land_folder(con, folder: Path, now: datetime = END) -> None:
    mapping = builtin_mapping(folder)
    for feed in FEEDS:
        land_files(con, extract_new_input(con, mapping, feed), "run", now)


def build_staging(con) -> None:
    set_variables(con, {"as_of": FAR_FUTURE})
    for model in STAGING_MODELS:
        run_model(con, "staging", model)


def order(order_id: str, payment: dict) -> dict:
    return {
        "order_id": order_id, "placed_at": "2026-11-23T10:00:00Z", "status": "paid", "currency": "BRL",
        "total_amount": "20.00", "updated_at": "2026-11-23T10:05:00Z",
        "lines": [{"line_no": 1, "sku": "SKU-0001", "quantity": 2, "unit_price": "10.00"}],
        "payments": [{"payment_id": f"P-{order_id}", "kind": "capture", "amount": "20.00", **payment}],
    }


def offenders(con, check_id: str) -> list[tuple]:
    check = next(check for check in all_checks() if check.id == check_id)
    return rows(con, f"select entity_id, problems, rows_quarantined from ({check.sql}) order by entity_id")


def test_orders_with_quarantined_inputs_are_reported_until_delivered_again(tmp_path):
    con = connect(":memory:")
    migrate(con, END)
    (tmp_path / "orders").mkdir()
    (tmp_path / "stock").mkdir()
    page = {"orders": [
        order("ORD-1", {"occurred_at": "2026-11-23T10:01:00Z"}),
        order("ORD-2", {"occurred_at": None}),  # a payment without a time: was dropped in staging
    ]}
    (tmp_path / "orders" / "a-page-0001.json").write_text(json.dumps(page))
    (tmp_path / "stock" / "a-allocations.csv").write_text(
        ALLOCATIONS + "A-1,ORD-1,1,SKU-0001,WH-SP,abc,2026-11-23T11:00:00Z\n"
    )
    land_folder(con, tmp_path)
    build_staging(con)
    assert rows(con, "select order_id from staging.orders order by 1") == [("ORD-1",)]
    assert offenders(con, "order_inputs_quarantined") == [
        ("ORD-1", "allocations wrong_type", 1),
        ("ORD-2", "orders missing_required", 1),
    ]
    # The allocation delivered again, fixed: ORD-1 can be judged now; ORD-2 still cannot.
    (tmp_path / "stock" / "b-allocations.csv").write_text(
        ALLOCATIONS + "A-1,ORD-1,1,SKU-0001,WH-SP,1,2026-11-23T11:00:00Z\n"
    )
    land_folder(con, tmp_path, END + timedelta(hours=1))
    build_staging(con)
    assert offenders(con, "order_inputs_quarantined") == [("ORD-2", "orders missing_required", 1)]
    con.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A demo day landed through the built-in mapping, plus a few bad rows; staging as of the far future."""
    folder = tmp_path_factory.mktemp("demo")
    simulate(folder, start=END - timedelta(hours=12), end=END, seed=7, orders_per_hour=4, anomaly_rate=0.1)
    (folder / "stock" / "z-allocations.csv").write_text(
        ALLOCATIONS + "A-Z1,ORD-Z,1,SKU-0001,WH-SP,NaN,2026-11-23T11:00:00Z\n"
        "A-Z2,ORD-Z,2,SKU-0001,WH-SP,1,\n"
    )
    con = connect(":memory:")
    migrate(con, END)
    land_folder(con, folder)
    build_staging(con)
    yield con
    con.close()


def _key(value: object) -> object:
    """A key value as raw text and staging types compare: timestamps as moments, numbers as ints."""
    if isinstance(value, datetime):
        return value.astimezone(UTC)
    if isinstance(value, str) and value.endswith("Z") and "T" in value:
        return datetime.fromisoformat(value).astimezone(UTC)
    if isinstance(value, str) and value.lstrip("-").isdigit():
        return int(value)
    return value


def expected_entities(con, table: str) -> set[tuple]:
    """From raw alone: the entities staging must hold (every raw row's, the latest versions' lines)."""
    model = TABLES[table]
    entity = [column for column in model.entity_columns if column != "order_updated_at"]
    raw = rows(con, f"select {', '.join((*entity, 'order_updated_at') if table == 'order_lines' else entity)} "
                    f"from raw.{table}")
    if table == "order_lines":  # lines of a superseded order version are superseded with it
        latest: dict[str, datetime] = {}
        for order_id, updated_at in rows(con, "select order_id, updated_at from raw.orders"):
            moment = _key(updated_at)
            latest[order_id] = max(latest.get(order_id, moment), moment)
        return {tuple(map(_key, row[:-1])) for row in raw if latest.get(row[0]) == _key(row[-1])}
    if table == "shipment_lines":  # a line belongs to a shipment; the shipments test covers those
        shipments = {row[0] for row in rows(con, "select shipment_id from raw.shipments")}
        return {tuple(map(_key, row)) for row in raw if row[0] in shipments}
    return {tuple(map(_key, row)) for row in raw}


@pytest.mark.parametrize("table", list(TABLES))
def test_every_raw_row_is_in_staging_or_superseded(demo, table):
    assert table in STAGING_MODELS
    entity = [column for column in TABLES[table].entity_columns if column != "order_updated_at"]
    staged = rows(demo, f"select {', '.join(entity)} from staging.{table}")
    assert len(staged) == len(set(staged)), "one row per entity"
    assert {tuple(map(_key, row)) for row in staged} == expected_entities(demo, table)
    assert expected_entities(demo, table) or table in ("carrier_invoices",), "the demo fills the table"


def test_the_bad_rows_of_the_demo_day_are_quarantined_with_their_order(demo):
    assert rows(demo, "select reason, entity_key, order_id from raw.quarantine order by _row_number") == [
        ("wrong_type", "allocation_id=A-Z1", "ORD-Z"),
        ("missing_required", "allocation_id=A-Z2", "ORD-Z"),
    ]
