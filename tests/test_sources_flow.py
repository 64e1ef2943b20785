"""The flow with source.kind mapped: the example export lands, drift reaches the summary, the threshold stops the run."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest
from conftest import write_settings

from flows.hourly_reconciliation import hourly_reconciliation
from sources.quarantine import RejectionThresholdExceeded

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "shop_export"
WINDOW_START = datetime(2026, 11, 27, 14, 0, tzinfo=UTC)


SKUS_SOURCE = """
  - name: wms-produtos
    table: skus
    files: produtos.csv
    decimal_comma: true
    delimiter: ";"
    columns: {sku: Código, description: Descrição, unit_weight_kg: Peso, reorder_point: Ponto de pedido}
"""


def settings_for(folder: Path) -> str:
    """The example export, plus the shop's product list so orders pass capture (known SKUs)."""
    shutil.copytree(EXAMPLE, folder / "export")
    mapping = folder / "export" / "mapping.yaml"
    mapping.write_text(mapping.read_text() + SKUS_SOURCE)
    (folder / "export" / "produtos.csv").write_text(
        "Código;Descrição;Peso;Ponto de pedido\n"
        + "".join(f"{sku};Produto {sku};0,500;3\n" for sku in ("SKU-0003", "SKU-0007", "SKU-0012", "SKU-0101"))
    )
    return write_settings(
        folder / "settings.yaml",
        warehouse={"path": folder / "warehouse.duckdb"},
        source={"kind": "mapped", "folder": folder / "export", "mapping": folder / "export" / "mapping.yaml"},
    )


def test_a_mapped_export_runs_through_the_flow(tmp_path, prefect_server):
    settings = settings_for(tmp_path)
    (tmp_path / "export" / "pedidos-2.csv").write_text(
        (EXAMPLE / "pedidos.csv").read_text().replace("Atualizado em", "Atualizado em;Cupom", 1)
        .replace("10:05\n", "10:05;BF10\n", 1).split("\n", 2)[0] + "\n"
        + "1006;Loja virtual;CLI-0082;23/11/2026 09:00;Pago;BRL;0,00;0,00;30,00;26/11/2026 18:00;"
        "01/12/2026 18:00;SP;01310-100;;23/11/2026 09:01;BF10\n"
    )
    summary = hourly_reconciliation(window_start=WINDOW_START, settings_file=settings)
    assert summary.rows_landed == {"orders": 13, "stock": 4, "carrier": 0}
    assert summary.schema_drift == ["loja-pedidos: pedidos-2.csv: new column 'Cupom'"]
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    assert con.execute("select count(*) from staging.orders").fetchone() == (5,)
    assert con.execute("select count(*) from raw.quarantine").fetchone() == (1,)
    assert con.execute(
        "select count(*) from audit.batches where rows_in <> rows_loaded + rows_rejected"
    ).fetchone() == (0,)
    con.close()

    again = hourly_reconciliation(window_start=WINDOW_START, settings_file=settings)
    assert again.rows_landed == {"orders": 0, "stock": 0, "carrier": 0}  # every file landed before
    assert again.schema_drift == []


def test_too_many_bad_rows_fail_the_run(tmp_path, prefect_server):
    settings = settings_for(tmp_path)
    mapping = tmp_path / "export" / "mapping.yaml"
    mapping.write_text(mapping.read_text().replace("max_rejected_pct: 25", "max_rejected_pct: 5"))
    with pytest.raises(RejectionThresholdExceeded, match="source loja-pedidos: 1 of 5 rows would be quarantined"):
        hourly_reconciliation(window_start=WINDOW_START, settings_file=settings)
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    assert con.execute("select status from audit.runs").fetchall() == [("failed",)]
    assert con.execute("select count(*) from audit.batches").fetchone() == (0,)
    con.close()
