"""Select sources (docs/sources.md): SQL over input files, checked at load, mapped like any row."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime
from pathlib import Path

import pytest
from conftest import AS_OF, rows

from sources import inputs
from sources.mapping import Mapping, MappingError, load_mapping
from tasks.extract import FEEDS, extract_new_input
from tasks.land import land_files

ITEMS = """\
pedido,item,produto,preco,limite
A,1,P1,10.00,2026-11-20 18:00
A,2,P1,10.00,2026-11-21 18:00
A,3,P2,5.50,2026-11-22 18:00
B,1,P2,abc,2026-11-20 18:00
"""
ORDERS = """\
pedido,criado,enviado,entregue,estimado
A,2026-11-19 10:00,2026-11-20 12:00,2026-11-23 09:00,2026-11-24
B,2026-11-19 11:00,,,2026-11-25
"""

MAPPING = """\
timezone: "-03:00"
max_rejected_pct: 100
sources:
  - name: items
    files: items.csv
    columns: {order_id: pedido, line: item, product: produto, price: preco, ship_limit: limite}
  - name: orders
    files: orders.csv
    columns: [pedido, criado, enviado, entregue, estimado]
  - name: totals
    table: orders
    select: |
      select o.pedido as order_id, o.criado as placed_at, 'paid' as status,
             sum(cast(i.price as decimal(18, 2))) as total_amount,
             min(i.ship_limit) as promised_ship_by, o.estimado as promised_delivery_by,
             o.criado as updated_at
      from orders o join items i on i.order_id = o.pedido
      group by all
  - name: events
    table: tracking_events
    select: |
      select 'correios' as carrier, pedido as tracking_number, event_at, status, _file, _row_number
      from (unpivot orders on enviado as 'picked_up', entregue as 'delivered' into name status value event_at)
  - name: lines
    table: order_lines
    select: |
      select order_id, '2026-11-19 10:00' as order_updated_at, line as line_no, product as sku,
             1 as quantity, price as unit_price, _file, _row_number
      from items
"""


def write(tmp_path: Path, mapping: str = MAPPING, **files: str) -> Mapping:
    for name, text in {"items.csv": ITEMS, "orders.csv": ORDERS, **files}.items():
        (tmp_path / name).write_text(text)
    path = tmp_path / "mapping.yaml"
    path.write_text(textwrap.dedent(mapping))
    return load_mapping(path)


def land_all(con, mapping: Mapping) -> None:
    for feed in FEEDS:
        land_files(con, extract_new_input(con, mapping, feed), "run-1", AS_OF, mapping.max_rejected_pct)


def utc(day: int, hour: int, minute: int = 0, second: int = 0, micro: int = 0) -> str:
    text = datetime(2026, 11, day, hour, minute, second, micro, tzinfo=UTC).isoformat().replace("+00:00", "Z")
    return text


def test_order_totals_ship_by_and_delivery_promise(warehouse, tmp_path):
    items = ITEMS.replace("B,1,P2,abc,", "B,1,P2,7.25,")
    land_all(warehouse, write(tmp_path, **{"items.csv": items}))
    assert rows(warehouse, """
        select order_id, total_amount, promised_ship_by, promised_delivery_by, placed_at
        from raw.orders order by order_id
    """) == [
        # A: 10 + 10 + 5.50; ship-by the earliest line limit (18:00 -03:00 = 21:00 UTC); the
        # estimated day 2026-11-24 ends at 23:59:59.999999 -03:00. placed_at keeps its time.
        ("A", "25.50", utc(20, 21), utc(25, 2, 59, 59, 999999), utc(19, 13)),
        ("B", "7.25", utc(20, 21), utc(26, 2, 59, 59, 999999), utc(19, 14)),
    ]


def test_a_select_that_fails_at_run_time_names_its_source(warehouse, tmp_path):
    mapping = write(tmp_path)
    with pytest.raises(ValueError, match="source totals: the select failed: Conversion Error"):
        land_all(warehouse, mapping)
    assert rows(warehouse, "select count(*) from audit.batches where source = 'totals'") == [(0,)]


def test_unpivot_into_events_and_quarantine_at_the_input_line(warehouse, tmp_path):
    items = ITEMS.replace("B,1,P2,abc,", "B,1,P2,7.25,")
    # a bad hand-over time on order A (data row 1 of orders.csv)
    orders = ORDERS.replace("2026-11-20 12:00", "20/11/2026 12:00")
    land_all(warehouse, write(tmp_path, **{"items.csv": items, "orders.csv": orders}))
    assert rows(warehouse, "select tracking_number, status, event_at from raw.tracking_events") == [
        ("A", "delivered", utc(23, 12)),
    ]
    assert rows(warehouse, "select _source, _file, _row_number, reason from raw.quarantine") == [
        ("events", str(tmp_path / "orders.csv"), 1, "wrong_type"),
    ]


def test_a_bad_value_without_a_carried_position_gets_the_select_row(warehouse, tmp_path):
    mapping = MAPPING.replace("price as unit_price, _file, _row_number", "price as unit_price")
    land_all(warehouse, write(tmp_path, mapping.replace("sum(cast(", "sum(try_cast(")))
    quarantined = rows(warehouse, "select _source, _file, _row_number, reason, detail from raw.quarantine")
    # the 4th row of the lines select: B's price 'abc'
    assert quarantined == [("lines", "select lines over items.csv", 4, "wrong_type",
                            "unit_price: 'abc' is not a number with a decimal point")]


def test_inputs_are_read_once_per_run(warehouse, tmp_path):
    mapping = write(tmp_path, MAPPING.replace("sum(cast(", "sum(try_cast("))
    before = inputs.files_parsed
    land_all(warehouse, mapping)  # three selects over two input files, in three feeds
    assert inputs.files_parsed - before == 2
    assert rows(warehouse, "select source from audit.batches order by 1") == [("events",), ("lines",), ("totals",)]
    land_all(warehouse, mapping)  # nothing new: the selects are not run again
    assert rows(warehouse, "select count(*) from audit.batches") == [(3,)]
    assert inputs.files_parsed - before == 2


def test_a_changed_input_file_runs_its_selects_again(warehouse, tmp_path):
    mapping = write(tmp_path, MAPPING.replace("sum(cast(", "sum(try_cast("))
    land_all(warehouse, mapping)
    (tmp_path / "orders.csv").write_text(ORDERS + "C,2026-11-19 12:00,,,2026-11-26\n")
    land_all(warehouse, mapping)
    # orders.csv feeds totals and events; lines reads only items.csv
    assert rows(warehouse, "select source, count(*) from audit.batches group by 1 order by 1") == [
        ("events", 2), ("lines", 1), ("totals", 2),
    ]


BASE = """\
sources:
  - name: items
    files: items.csv
    columns: [pedido, preco]
  - name: totals
    table: orders
    select: |
      select pedido as order_id, '2026-11-19' as updated_at, sum(cast(preco as decimal(18, 2))) as total_amount
      from items group by all
"""


def error_of(tmp_path: Path, text: str) -> str:
    path = tmp_path / "mapping.yaml"
    path.write_text(text)
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    return str(caught.value)


def test_the_base_is_valid(tmp_path):
    path = tmp_path / "mapping.yaml"
    path.write_text(BASE)
    assert load_mapping(path).select_inputs == {"totals": ("items",)}


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (BASE.replace("as total_amount", "as valor"), 7, "the select returns 'valor', not a column of orders"),
        (BASE.replace("'2026-11-19' as updated_at, ", ""), 7, "does not return 'updated_at', a key of orders"),
        (BASE.replace("sum(cast(preco as decimal(18, 2)))", "sum(cast(preco as double))"), 7,
         "column total_amount is DOUBLE, which cannot fill a decimal(18, 2) column; cast it"),
        (BASE.replace("from items", "from itens"), 7, "Table with name itens does not exist"),
        (BASE.replace("sum(cast(preco", "sum(cast(preço"), 7, 'Referenced column "preço" not found'),
        (BASE.replace("columns: [pedido, preco]", "columns: {pedido: {from: a, format: iso}, preco: b}"), 4,
         "format does not apply to an input's text columns"),
        (BASE.replace("    table: orders\n", "    table: orders\n    files: x.csv\n"), 5,
         "give exactly one of files (globs), http (an API) or select"),
        (BASE.replace("    table: orders\n", "    table: orders\n    delimiter: ';'\n"), 7,
         "delimiter applies to files; a select reads its inputs"),
        (BASE + "    columns:\n      status: {from: situacao, values: {ok: paid}}\n", 11,
         "the select returns no column 'situacao'"),
        (BASE.replace("    columns: [pedido, preco]\n", ""), 2, "list the columns the selects read"),
    ],
)
def test_select_errors_name_the_line(tmp_path, text, line, message):
    error = error_of(tmp_path, text)
    assert f"mapping.yaml:{line}: " in error and message in error, error


def test_a_date_only_value_is_the_start_of_the_day_except_in_deadlines(warehouse, tmp_path):
    (tmp_path / "o.csv").write_text("id,status,placed,ship_by,deliver_by\nA,paid,2026-11-19,2026-11-20,20/11/2026\n")
    (tmp_path / "mapping.yaml").write_text(textwrap.dedent("""\
        timezone: America/Sao_Paulo
        sources:
          - name: o
            table: orders
            files: o.csv
            columns:
              order_id: id
              status: status
              placed_at: placed
              updated_at: placed
              promised_ship_by: ship_by
              promised_delivery_by: {from: deliver_by, format: "%d/%m/%Y"}
    """))
    land_all(warehouse, load_mapping(tmp_path / "mapping.yaml"))
    assert rows(warehouse, "select placed_at, updated_at, promised_ship_by, promised_delivery_by from raw.orders") == [
        (utc(19, 3), utc(19, 3), utc(21, 2, 59, 59, 999999), utc(21, 2, 59, 59, 999999)),
    ]


def test_the_docs_snippet_is_a_valid_mapping(tmp_path):
    docs = (Path(__file__).resolve().parent.parent / "docs" / "sources.md").read_text()
    snippet = "timezone: America/Sao_Paulo" + docs.split("```yaml\ntimezone: America/Sao_Paulo")[1].split("```")[0]
    (tmp_path / "mapping.yaml").write_text(snippet)
    assert load_mapping(tmp_path / "mapping.yaml").select_inputs == {"order-totals": ("items", "orders")}
