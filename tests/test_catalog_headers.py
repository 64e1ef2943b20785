"""A check's SQL must open with the header lines docs/checks.md is generated from."""

from __future__ import annotations

import pytest
import yaml

from expectations import catalog

ENTRY = {"id": "new_check", "needs": ["orders"], "entity": "order", "severity": "low", "owner": "finance",
         "catches": "something"}
BODY = "select order_id as entity_id, 0 as amount_at_risk from core.order_capture\n"


def _load(tmp_path, monkeypatch, sql: str) -> catalog.Suite:
    (tmp_path / "sql").mkdir()
    (tmp_path / "sql" / "new_check.sql").write_text(sql)
    suite = tmp_path / "payment.yaml"
    suite.write_text(yaml.safe_dump({"stage": "payment", "title": "Payment", "batch": "core.order_payments",
                                     "checks": [ENTRY]}))
    monkeypatch.setattr(catalog, "SQL_DIR", tmp_path / "sql")
    return catalog.load_suite(suite)


def test_a_check_with_both_header_lines_loads_and_exposes_them(tmp_path, monkeypatch):
    suite = _load(tmp_path, monkeypatch,
                  "-- grain: one row per order\n-- offends when: always\n-- began_at: placed_at\n" + BODY)
    check = suite.checks[0]
    assert [check.header(name) for name in catalog.HEADERS] == ["one row per order", "always", "placed_at"]


def test_a_check_without_its_offends_when_line_is_refused(tmp_path, monkeypatch):
    with pytest.raises(catalog.CatalogError, match="offends when"):
        _load(tmp_path, monkeypatch, "-- grain: one row per order\n" + BODY)
