"""The worked example of docs/sources.md, run: a shop's CSV export mapped end to end."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

from conftest import AS_OF, rows

from retaguarda.settings import load_settings
from sources.mapping import load_mapping
from tasks.extract import FEEDS, extract_new_input
from tasks.land import land_files
from tasks.transform import build_models
from warehouse.database import connect, migrate

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "shop_export"


def utc(day: int, hour: int, minute: int) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def test_the_shop_export_lands_as_canonical_rows(tmp_path):
    con = connect(tmp_path / "warehouse.duckdb")
    migrate(con, AS_OF)
    mapping = load_mapping(EXAMPLE / "mapping.yaml")
    for feed in FEEDS:
        land_files(con, extract_new_input(con, mapping, feed), "run-1", AS_OF, mapping.max_rejected_pct)
    build_models(con, load_settings(environ={}), AS_OF)  # the staging and core SQL, unchanged

    assert rows(con, """
        select order_id, channel, customer_id, placed_at, status, shipping_amount, discount_amount, total_amount,
               promised_ship_by, ship_to_country, ship_to_region, cancelled_at, updated_at
        from staging.orders order by order_id
    """) == [
        ("PED-1001", "web", "CLI-0077", utc(20, 13, 2), "paid", Decimal("19.90"), Decimal("0.00"),
         Decimal("219.80"), utc(23, 21, 0), "BR", "SP", None, utc(20, 13, 5)),
        ("PED-1002", "marketplace", "CLI-0078", utc(20, 14, 15), "delivered", Decimal("0.00"), Decimal("10.00"),
         Decimal("1289.90"), utc(23, 21, 0), "BR", "RJ", None, utc(26, 19, 40)),
        ("PED-1003", "app", "CLI-0079", utc(21, 12, 30), "cancelled", Decimal("15.00"), Decimal("0.00"),
         Decimal("64.90"), utc(24, 21, 0), "BR", "MG", utc(21, 15, 0), utc(21, 15, 0)),
        ("PED-1005", "web", "CLI-0081", utc(22, 23, 5), "pending_payment", Decimal("0.00"), Decimal("5.00"),
         Decimal("45.00"), utc(25, 21, 0), "BR", "SP", None, utc(22, 23, 5)),
    ]
    assert rows(con, "select order_id, line_no, sku, quantity, unit_price from staging.order_lines order by 1") == [
        ("PED-1001", 1, "SKU-0007", 2, Decimal("99.95")),
        ("PED-1002", 1, "SKU-0101", 1, Decimal("1299.90")),
        ("PED-1003", 1, "SKU-0012", 1, Decimal("49.90")),
        ("PED-1005", 1, "SKU-0003", 2, Decimal("25.00")),
    ]
    assert rows(con, "select payment_id, order_id, kind, amount from staging.payments order by 1") == [
        ("T-9001", "PED-1001", "capture", Decimal("219.80")),
        ("T-9002", "PED-1002", "capture", Decimal("1289.90")),
        ("T-9003", "PED-1003", "capture", Decimal("64.90")),
        ("T-9004", "PED-1003", "refund", Decimal("64.90")),
    ]
    # The one order whose status the mapping does not know waits in quarantine, with its reason.
    assert rows(con, "select _source, _row_number, table_name, reason, detail from raw.quarantine") == [
        ("loja-pedidos", 4, "orders", "unknown_value",
         "status: 'Extraviado' is not one of cancelled, closed, delivered, paid, partially_shipped, "
         "pending_payment, returned, shipped (add it to values:)"),
    ]
    assert rows(con, "select source, rows_in, rows_loaded, rows_rejected from audit.batches order by source") == [
        ("loja-itens", 4, 4, 0), ("loja-pagamentos", 4, 4, 0), ("loja-pedidos", 5, 4, 1),
    ]


def test_the_docs_show_the_files_the_test_runs():
    docs = (ROOT / "docs" / "sources.md").read_text()
    for name in ("mapping.yaml", "pedidos.csv", "itens.csv", "pagamentos.csv"):
        assert (EXAMPLE / name).read_text() in docs, f"docs/sources.md no longer shows examples/shop_export/{name}"
