"""The mapping file is validated at start; every error names the file and the line."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from sources.mapping import MappingError, load_mapping

EXAMPLE = Path(__file__).resolve().parent.parent / "examples" / "shop_export" / "mapping.yaml"

VALID = """\
sources:
  - name: wms-skus
    table: skus
    files: skus.csv
    columns:
      sku: Code
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mapping.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def error_of(path: Path) -> str:
    with pytest.raises(MappingError) as caught:
        load_mapping(path)
    return str(caught.value)


def test_the_shipped_example_is_valid():
    mapping = load_mapping(EXAMPLE)
    names = [source.name for source in mapping.sources_for("orders")]
    assert names == ["loja-pedidos", "loja-itens", "loja-pagamentos"]
    assert mapping.max_rejected_pct == 25


def test_a_plain_string_is_short_for_from(tmp_path):
    mapping = load_mapping(write(tmp_path, VALID))
    assert mapping.spec.sources[0].columns["sku"].paths == ["Code"]
    assert mapping.max_rejected_pct == 5  # the default


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (VALID.replace("      sku: Code", "      skuu: Code"), 6, "skus has no column 'skuu'"),
        (VALID.replace("table: skus", "table: produtos"), 3, "unknown table 'produtos'"),
        (VALID + "      unit_weight_kg: {from: Peso, format: '%d'}\n", 7, "format applies to timestamp columns"),
        (VALID.replace("table: skus", "table: orders").replace("sku: Code", "placed_at: {from: D, format: '%d/%q'}"),
         6, "unknown directives: %q"),
        (VALID.replace("table: skus", "table: orders").replace(
            "sku: Code", "status:\n        from: S\n        values: {entregue: delivred}"),
         8, "'delivred' is not a canonical status"),
        (VALID.replace("files: skus.csv", "files: skus.csv\n    http: {url: 'https://shop.example/api'}"), 2,
         "exactly one of files"),
        (VALID.replace("files: skus.csv", "files: skus.csv\n    timezone: America/Sao_Paolo"), 5,
         "unknown time zone 'America/Sao_Paolo'"),
        (VALID.replace("files: skus.csv", "files: skus.txt"), 4, "cannot tell the format of 'skus.txt'"),
        (VALID.replace("    columns:", "    colums:"), 5, "Extra inputs are not permitted"),
        (VALID + "      description: {from: D, value: x}\n", 7, "give only one of from, value, template"),
        ("max_rejected_pct: 150\n" + VALID, 1, "less than or equal to 100"),
        (VALID.replace("table: skus", "table: orders").replace("sku: Code", "order_id: id").replace(
            "files: skus.csv",
            "http:\n      url: https://shop.example/api\n      incremental: {param: since, start: '2026-01-01'}"),
         6, "not an ISO-8601 moment with a zone"),
        (VALID + VALID.replace("sources:\n", ""), 7, "source name 'wms-skus' is used twice"),
    ],
)
def test_errors_name_the_file_and_the_line(tmp_path, text, line, message):
    path = write(tmp_path, text)
    error = error_of(path)
    assert f"{path}:{line}:" in error
    assert message in error


def test_yaml_syntax_and_duplicate_keys_name_the_line(tmp_path):
    broken = "sources:\n  - name: a\n    table: orders: lines\n    files: a.csv\n"
    assert f"{tmp_path / 'mapping.yaml'}:3: not valid YAML" in error_of(write(tmp_path, broken))
    duplicated = VALID + "      sku: Other\n"
    assert f"{tmp_path / 'mapping.yaml'}:7: duplicate key 'sku'" in error_of(write(tmp_path, duplicated))


def test_every_problem_is_reported_at_once(tmp_path):
    text = VALID.replace("sku: Code", "sku: Code\n      weight: W\n      reorder_point: {from: R, decimal_comma: true}")
    error = error_of(write(tmp_path, text))
    assert ":7: sources.0.columns.weight:" in error
    assert ":8: sources.0.columns.reorder_point.decimal_comma:" in error


def test_a_missing_file_is_named(tmp_path):
    assert f"mapping file not found: {tmp_path / 'nope.yaml'}" in error_of(tmp_path / "nope.yaml")
