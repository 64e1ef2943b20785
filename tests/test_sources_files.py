"""File sources through a mapping, into a real DuckDB: every input row is loaded or quarantined."""

from __future__ import annotations

import gzip
import json
import textwrap
from pathlib import Path

import polars as pl
import pytest
from conftest import AS_OF, rows

from sources.mapping import Mapping, load_mapping
from sources.quarantine import RejectionThresholdExceeded
from tasks.extract import FEEDS, ExtractedFile, extract_new_input
from tasks.land import land_files
from warehouse.database import run_model

ORDERS_CSV = """\
source: loja
table: orders
files: {files}
delimiter: ";"
timestamp_format: "%d/%m/%Y %H:%M"
decimal_comma: true
columns:
  order_id: Pedido
  status:
    from: Situação
    values: {{Pago: paid, Entregue: delivered}}
  placed_at: Data
  total_amount: Total
  updated_at: Atualizado
"""
HEADER = "Pedido;Situação;Data;Total;Atualizado\n"


def mapping_file(tmp_path: Path, *sources: str, max_rejected_pct: float = 100, timezone: str = "-03:00") -> Mapping:
    body = "".join(
        "  - " + textwrap.indent(textwrap.dedent(source).replace("source: ", "name: ", 1), "    ").lstrip()
        for source in sources
    )
    path = tmp_path / "mapping.yaml"
    path.write_text(f"max_rejected_pct: {max_rejected_pct}\ntimezone: '{timezone}'\nsources:\n{body}")
    return load_mapping(path)


def land_all(con, mapping: Mapping) -> list[ExtractedFile]:
    extracted = []
    for feed in FEEDS:
        files = extract_new_input(con, mapping, feed)
        land_files(con, files, "run-1", AS_OF, mapping.max_rejected_pct)
        extracted += files
    return extracted


def quarantine(con) -> list[tuple]:
    return rows(con, "select _row_number, reason from raw.quarantine order by _file, _row_number")


def assert_rows_add_up(con) -> None:
    """Per batch: rows in = rows loaded + rows quarantined, and both agree with the tables."""
    batches = rows(con, "select batch_id, rows_in, rows_loaded, rows_rejected from audit.batches")
    assert batches
    for batch_id, rows_in, loaded, rejected in batches:
        assert rows_in == loaded + rejected
        assert rows(con, "select count(*) from raw.quarantine where _batch_id = ?", batch_id)[0][0] == rejected
        landed = sum(
            rows(con, f"select count(distinct _row_number) from raw.{table} where _batch_id = ?", batch_id)[0][0]
            for table in ("orders", "skus", "tracking_events")
        )
        assert landed == loaded


def test_bad_rows_are_quarantined_with_reason_and_position(warehouse, tmp_path):
    (tmp_path / "pedidos.csv").write_text(
        HEADER
        + "1;Pago;20/11/2026 10:02;219,80;20/11/2026 10:05\n"  # good
        + "2;Pago;20/11/2026 10:02\n"  # too few fields
        + "3;Pago;31/11/2026 10:02;10,00;20/11/2026 10:05\n"  # no 31 November
        + "4;Pago;20/11/2026 10:02;dez reais;20/11/2026 10:05\n"  # not a decimal
        + ";Pago;20/11/2026 10:02;10,00;20/11/2026 10:05\n"  # no key
        + "6;Extraviado;20/11/2026 10:02;10,00;20/11/2026 10:05\n"  # unknown status
        + "7;Pago;20/11/2026 10:02;10,00;20/11/2026 10:05\n"  # same key as the next, different content
        + "7;Entregue;20/11/2026 10:02;10,00;20/11/2026 10:05\n"
        + "8;Entregue;21/11/2026 09:00;1.234,50;21/11/2026 09:30\n"  # good
        + "8;Entregue;21/11/2026 09:00;1.234,50;21/11/2026 09:30\n"  # an identical re-delivery is kept
    )
    land_all(warehouse, mapping_file(tmp_path, ORDERS_CSV.format(files="pedidos.csv")))

    assert quarantine(warehouse) == [
        (2, "malformed_row"), (3, "wrong_type"), (4, "wrong_type"), (5, "missing_required"),
        (6, "unknown_value"), (7, "duplicate_conflict"), (8, "duplicate_conflict"),
    ]
    details = dict(rows(warehouse, "select _row_number, detail from raw.quarantine"))
    assert details[2] == "line 3: 3 fields, the header has 5"
    assert details[3] == "placed_at: '31/11/2026 10:02' is not a timestamp in format %d/%m/%Y %H:%M"
    assert "status: 'Extraviado' is not one of" in details[6]
    assert "orders order_id=7, updated_at=2026-11-20T13:05:00Z: 2 rows with different content (rows 7, 8)" in details[7]
    record = json.loads(rows(warehouse, "select record from raw.quarantine where _row_number = 4")[0][0])
    assert record["Total"] == "dez reais"
    assert rows(warehouse, "select order_id, status, placed_at, total_amount, _row_number from raw.orders") == [
        ("1", "paid", "2026-11-20T13:02:00Z", "219.80", 1),
        ("8", "delivered", "2026-11-21T12:00:00Z", "1234.50", 9),
        ("8", "delivered", "2026-11-21T12:00:00Z", "1234.50", 10),
    ]
    assert rows(warehouse, "select rows_in, rows_loaded, rows_rejected from audit.batches") == [(10, 3, 7)]
    assert_rows_add_up(warehouse)
    run_model(warehouse, "staging", "orders")  # staging is unchanged and keeps one version per key
    assert rows(warehouse, "select order_id, total_amount::varchar from staging.orders order by 1") == [
        ("1", "219.80"), ("8", "1234.50"),
    ]


def test_a_file_is_landed_once(warehouse, tmp_path):
    (tmp_path / "pedidos.csv").write_text(HEADER + "1;Pago;20/11/2026 10:02;219,80;20/11/2026 10:05\n")
    mapping = mapping_file(tmp_path, ORDERS_CSV.format(files="pedidos*.csv"))
    assert len(land_all(warehouse, mapping)) == 1
    assert land_all(warehouse, mapping) == []  # same SHA-256: not even read again
    (tmp_path / "pedidos-2.csv").write_text(HEADER + "2;Pago;20/11/2026 11:02;19,80;20/11/2026 11:05\n")
    assert [file.path.name for file in land_all(warehouse, mapping)] == ["pedidos-2.csv"]
    assert rows(warehouse, "select count(*) from raw.orders") == [(2,)]


def test_two_files_of_one_run_that_disagree_on_a_key_are_quarantined(warehouse, tmp_path):
    """As inside one file: no telling which is right, so every row of the key waits in quarantine."""
    (tmp_path / "pedidos-a.csv").write_text(
        HEADER
        + "1;Pago;20/11/2026 10:02;219,80;20/11/2026 10:05\n"  # the other file says 209,80
        + "2;Pago;20/11/2026 11:02;19,80;20/11/2026 11:05\n"  # the other file says the same
    )
    (tmp_path / "loja-b.csv").write_text(
        HEADER
        + "2;Pago;20/11/2026 11:02;19,80;20/11/2026 11:05\n"
        + "1;Pago;20/11/2026 10:02;209,80;20/11/2026 10:05\n"
        + "1;Entregue;20/11/2026 10:02;219,80;21/11/2026 08:00\n"  # a later version: a key of its own
    )
    second = ORDERS_CSV.format(files="loja-b.csv").replace("source: loja", "source: loja-b")
    land_all(warehouse, mapping_file(tmp_path, ORDERS_CSV.format(files="pedidos-a.csv"), second))

    quarantined = rows(warehouse, "select _source, _row_number, reason, detail, entity_key, order_id "
                                  "from raw.quarantine order by _source")
    detail = "orders order_id=1, updated_at=2026-11-20T13:05:00Z: 2 rows in 2 files disagree"
    assert quarantined == [
        ("loja", 1, "duplicate_conflict", detail, "order_id=1", "1"),
        ("loja-b", 2, "duplicate_conflict", detail, "order_id=1", "1"),
    ]
    record = json.loads(rows(warehouse, "select record from raw.quarantine where _source = 'loja-b'")[0][0])
    assert record["orders"][0]["total_amount"] == "209.80"
    assert rows(warehouse, "select _source, order_id, status, _row_number from raw.orders order by all") == [
        ("loja", "2", "paid", 2), ("loja-b", "1", "delivered", 3), ("loja-b", "2", "paid", 1),
    ]
    assert sorted(rows(warehouse, "select source, rows_in, rows_loaded, rows_rejected from audit.batches")) == [
        ("loja", 2, 1, 1), ("loja-b", 3, 2, 1),
    ]
    assert_rows_add_up(warehouse)


def test_a_later_run_that_disagrees_replaces_what_landed(warehouse, tmp_path):
    """Across runs the files have an order: the last landed is the latest delivery (staging keeps it)."""
    (tmp_path / "pedidos-1.csv").write_text(HEADER + "1;Pago;20/11/2026 10:02;219,80;20/11/2026 10:05\n")
    mapping = mapping_file(tmp_path, ORDERS_CSV.format(files="pedidos*.csv"))
    land_all(warehouse, mapping)
    (tmp_path / "pedidos-2.csv").write_text(HEADER + "1;Pago;20/11/2026 10:02;209,80;20/11/2026 10:05\n")
    for feed in FEEDS:
        files = extract_new_input(warehouse, mapping, feed)
        land_files(warehouse, files, "run-2", AS_OF.replace(hour=16), mapping.max_rejected_pct)
    assert rows(warehouse, "select count(*) from raw.quarantine") == [(0,)]
    run_model(warehouse, "staging", "orders")
    assert rows(warehouse, "select total_amount::varchar from staging.orders") == [("209.80",)]


def test_schema_drift_is_reported(warehouse, tmp_path):
    (tmp_path / "pedidos.csv").write_text(
        "Pedido;Situacao;Data;Valor total;Atualizado;Cupom\n1;Pago;20/11/2026 10:02;219,80;20/11/2026 10:05;BF10\n"
    )
    [extracted] = land_all(warehouse, mapping_file(tmp_path, ORDERS_CSV.format(files="pedidos.csv")))
    assert extracted.schema_drift == (
        "loja: pedidos.csv: column 'Situação' (for status) renamed to 'Situacao'?",
        "loja: pedidos.csv: column 'Total' (for total_amount) renamed to 'Valor total'?",
        "loja: pedidos.csv: new column 'Cupom'",
    )
    # status is needed by every check: the row is quarantined, and the drift says why;
    # total_amount is not required, so alone it would have landed as NULL
    assert rows(warehouse, "select count(*) from raw.orders") == [(0,)]
    assert rows(warehouse, "select reason, detail from raw.quarantine") == [
        ("missing_column", "status: the record has no field 'Situação'"),
    ]


def test_a_missing_required_column_quarantines_every_row(warehouse, tmp_path):
    (tmp_path / "pedidos.csv").write_text(
        "Pedido;Situação;Data;Total\n1;Pago;20/11/2026 10:02;219,80\n2;Pago;20/11/2026 10:02;19,80\n"
    )
    [extracted] = land_all(warehouse, mapping_file(tmp_path, ORDERS_CSV.format(files="pedidos.csv")))
    assert "loja: pedidos.csv: missing column 'Atualizado' (for updated_at)" in extracted.schema_drift
    assert quarantine(warehouse) == [(1, "missing_column"), (2, "missing_column")]
    assert rows(warehouse, "select distinct detail from raw.quarantine") == [
        ("updated_at: the record has no field 'Atualizado'",)
    ]
    assert_rows_add_up(warehouse)


def test_empty_and_header_only_files(warehouse, tmp_path):
    (tmp_path / "pedidos-1.csv").write_text("")
    (tmp_path / "pedidos-2.csv").write_text(HEADER)
    extracted = land_all(warehouse, mapping_file(tmp_path, ORDERS_CSV.format(files="pedidos-*.csv")))
    assert [file.schema_drift for file in extracted] == [("loja: pedidos-1.csv: empty file: no header row",), ()]
    assert rows(warehouse, "select rows_in, rows_loaded, rows_rejected from audit.batches order by file") == [
        (0, 0, 0), (0, 0, 0),
    ]


def test_a_truncated_gzip_keeps_the_rows_before_the_cut(warehouse, tmp_path):
    lines = [f"{n};Pago;20/11/2026 10:02;{n},00;20/11/2026 10:05\n" for n in range(1, 2001)]
    whole = gzip.compress((HEADER + "".join(lines)).encode())
    (tmp_path / "pedidos.csv.gz").write_bytes(whole[: len(whole) * 2 // 3])
    [extracted] = land_all(warehouse, mapping_file(tmp_path, ORDERS_CSV.format(files="pedidos.csv.gz")))
    assert "loja: pedidos.csv.gz: gzip stream ends early: the file is truncated" in extracted.schema_drift
    loaded = extracted.rows_loaded
    assert 0 < loaded < 2000
    assert quarantine(warehouse) == [(loaded + 1, "truncated_row")]  # the row the cut went through
    assert rows(warehouse, "select max(cast(order_id as integer)), count(*) from raw.orders") == [(loaded, loaded)]
    assert_rows_add_up(warehouse)


def test_json_lines_and_a_truncated_json_document(warehouse, tmp_path):
    parcel = {"carrier": "correios", "tracking_number": "AB123456789BR"}
    events = [
        {**parcel, "event_at": "2026-11-27 10:00", "status": "Postado"},
        "not an object",
        {**parcel, "event_at": "2026-11-27 15:30", "status": "Entregue"},
    ]
    text = "\n".join(json.dumps(event) for event in events) + "\n{\"carrier\": \"corr\n\n"
    (tmp_path / "events.jsonl").write_text(text)
    (tmp_path / "events.json").write_text('{"events": [' + json.dumps(events[0])[:-5])
    source = """\
    source: {name}
    table: tracking_events
    files: {files}
    records: events
    columns:
      status:
        from: status
        values: {{Postado: label_created, Entregue: delivered}}
    """
    mapping = mapping_file(
        tmp_path, source.format(name="lines", files="events.jsonl"), source.format(name="doc", files="events.json")
    )
    extracted = land_all(warehouse, mapping)
    assert rows(warehouse, "select event_at, status, _row_number from raw.tracking_events") == [
        ("2026-11-27T13:00:00Z", "label_created", 1), ("2026-11-27T18:30:00Z", "delivered", 3),
    ]
    assert quarantine(warehouse) == [(0, "unreadable_file"), (2, "malformed_row"), (4, "malformed_row")]
    unreadable = json.loads(rows(warehouse, "select record from raw.quarantine where _row_number = 0")[0][0])
    assert unreadable["text"].startswith('{"events": [') and unreadable["text_complete"]
    assert [file.schema_drift for file in extracted][1][0].startswith("doc: events.json: unreadable: not JSON")
    assert_rows_add_up(warehouse)


def test_parquet_and_nested_orders_in_the_canonical_page_shape(warehouse, tmp_path):
    pl.DataFrame({
        "code": ["SKU-1", "SKU-2", "SKU-3"], "peso": [1.25, None, 2.0], "ponto": [10, 5, 7],
    }).write_parquet(tmp_path / "skus.parquet")
    page = {"page": 1, "next_page": None, "orders": [
        {"order_id": "O-1", "status": "paid", "total_amount": "10.00", "updated_at": "2026-11-20T13:05:40Z",
         "placed_at": "2026-11-20T13:00:00Z",
         "ship_to": {"country": "BR", "region": "SP", "postcode": "01310-100"},
         "lines": [{"line_no": 1, "sku": "SKU-1", "quantity": 2, "unit_price": "5.00"}],
         "payments": [
             {"payment_id": "P-1", "kind": "capture", "amount": "10.00", "occurred_at": "2026-11-20T13:05:40Z"},
         ]},
        {"order_id": "O-2", "status": "paid", "updated_at": "2026-11-20T14:00:00Z", "placed_at": "2026-11-20T13:00:00Z",
         "lines": [{"line_no": 1, "sku": "SKU-2", "quantity": "muitos", "unit_price": "1.00"}]},
    ]}
    (tmp_path / "page-0001.json").write_text(json.dumps(page))
    mapping = mapping_file(
        tmp_path,
        "source: wms\ntable: skus\nfiles: skus.parquet\ncolumns:\n  sku: code\n  unit_weight_kg: peso\n"
        "  reorder_point: ponto\n",
        "source: api-pages\ntable: orders\nfiles: page-*.json\nrecords: orders\norder_lines: {}\npayments: {}\n",
    )
    land_all(warehouse, mapping)
    assert rows(warehouse, "select sku, unit_weight_kg, reorder_point from raw.skus") == [
        ("SKU-1", "1.25", "10"), ("SKU-2", None, "5"), ("SKU-3", "2.0", "7"),
    ]
    assert rows(warehouse, "select order_id, ship_to_country, ship_to_postcode from raw.orders") == [
        ("O-1", "BR", "01310-100"),
    ]
    assert rows(warehouse, "select order_id, order_updated_at, line_no, quantity from raw.order_lines") == [
        ("O-1", "2026-11-20T13:05:40Z", "1", "2"),
    ]
    assert rows(warehouse, "select payment_id, order_id, order_updated_at from raw.payments") == [
        ("P-1", "O-1", "2026-11-20T13:05:40Z"),
    ]
    assert rows(warehouse, "select _row_number, reason, detail from raw.quarantine") == [
        (2, "wrong_type", "lines[0].quantity: 'muitos' is not an integer"),
    ]
    assert_rows_add_up(warehouse)


def test_the_rejection_threshold_fails_before_anything_lands(warehouse, tmp_path):
    (tmp_path / "pedidos.csv").write_text(
        HEADER + "1;Pago;20/11/2026 10:02;219,80;20/11/2026 10:05\n2;Perdido;20/11/2026 10:02;1,00;20/11/2026 10:05\n"
    )
    mapping = mapping_file(tmp_path, ORDERS_CSV.format(files="pedidos.csv"), max_rejected_pct=5)
    with pytest.raises(RejectionThresholdExceeded) as caught:
        land_all(warehouse, mapping)
    message = str(caught.value)
    assert "source loja: 1 of 2 rows would be quarantined (50.0%), over max_rejected_pct 5" in message
    assert "pedidos.csv row 2: unknown_value: status: 'Perdido'" in message
    assert rows(warehouse, "select count(*) from audit.batches union all select count(*) from raw.quarantine") == [
        (0,), (0,),
    ]
