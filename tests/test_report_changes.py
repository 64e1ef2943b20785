"""What changed per stage, check and owner, read from the publications' snapshots (published.*)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from decimal import Decimal

import pytest
from conftest import AS_OF

from report.queries import CHANGE_DIMENSIONS, find_publication, load_changes, load_report_data
from report.render import render_report

NOW = AS_OF
# (hours before NOW, [(check_id, stage, owner, amount)]): one publication each, open exceptions in its snapshot.
RUNS = {
    0: [("late_shipment", "picking_packing", "warehouse-ops", "10.00")] * 5
    + [("oversold", "allocation", "inventory-planning", "7.50")] * 1
    + [("paid_amount_mismatch", "payment", "finance", "100.00")] * 2,
    1: [("late_shipment", "picking_packing", "warehouse-ops", "10.00")] * 3
    + [("oversold", "allocation", "inventory-planning", "7.50")] * 2
    + [("paid_amount_mismatch", "payment", "finance", "100.00")] * 2,
    23: [("late_shipment", "picking_packing", "warehouse-ops", "10.00")] * 1
    + [("paid_amount_mismatch", "payment", "finance", "100.00")] * 4,
    30: [("oversold", "allocation", "inventory-planning", "7.50")] * 9,  # nearer to neither comparison
    24 * 7 + 2: [("late_shipment", "picking_packing", "warehouse-ops", "10.00")] * 8,
}


def publish(con, run_id: str, as_of, rows, published_at=None) -> None:
    """A publication and its snapshot, as the publish transaction leaves them (warehouse/published/)."""
    con.execute("insert into exceptions.publications (run_id, as_of, published_at) values (?, ?, ?)",
                [run_id, as_of, published_at or as_of])
    con.execute("insert into published.on_time values (?, ?, 0, null, 0, null)", [run_id, as_of])
    for n, (check_id, stage, owner, amount) in enumerate(rows):
        con.execute(
            "insert into published.exceptions by name select ? as run_id, ? as as_of, ? as exception_id, "
            "? as check_id, ? as stage, 'order' as entity_type, ? as entity_id, ? as owner, 'open' as status, "
            "'high' as severity, ?::decimal(18, 2) as amount_at_risk, '{}' as evidence",
            [run_id, as_of, f"{run_id}-{n}", check_id, stage, f"O-{n}", owner, amount],
        )


@pytest.fixture
def published(warehouse):
    for hours, rows in RUNS.items():
        publish(warehouse, f"run-{hours}", NOW - timedelta(hours=hours), rows)
    return warehouse


def expected(hours: int) -> dict[tuple[str, str], tuple[int, Decimal]]:
    """(dimension, name) -> (open, money) in the literal snapshot `hours` before NOW, counted here."""
    found: Counter = Counter()
    money: Counter = Counter()
    for check_id, stage, owner, amount in RUNS[hours]:
        for key in (("stage", stage), ("check", check_id), ("owner", owner)):
            found[key] += 1
            money[key] += Decimal(amount)
    return {key: (found[key], money[key]) for key in found}


def test_each_comparison_is_the_run_nearest_its_moment(published):
    changes = load_changes(published, find_publication(published, "run-0"))
    assert [(c.key, c.run_id) for c in changes.comparisons] == [
        ("last_run", "run-1"), ("yesterday", "run-23"), ("last_week", f"run-{24 * 7 + 2}")]


def test_open_and_money_per_stage_check_and_owner_against_each_comparison(published):
    changes = load_changes(published, find_publication(published, "run-0"))
    now = expected(0)
    keys = set(now) | set(expected(1)) | set(expected(23)) | set(expected(24 * 7 + 2))
    assert {(c.dimension, c.name) for c in changes.rows} >= keys
    for change in changes.rows:
        key = (change.dimension, change.name)
        assert (change.open, change.money_at_risk) == now.get(key, (0, 0)), key
        for comparison, hours in (("last_run", 1), ("yesterday", 23), ("last_week", 24 * 7 + 2)):
            then = expected(hours).get(key, (0, Decimal(0)))
            assert change.delta(comparison) == (now.get(key, (0, 0))[0] - then[0],
                                                now.get(key, (0, Decimal(0)))[1] - then[1]), (key, comparison)


def test_what_got_worse_comes_first_in_each_dimension(published):
    changes = load_changes(published, find_publication(published, "run-0"))
    assert [c.dimension for c in changes.rows] == sorted((c.dimension for c in changes.rows),
                                                         key=CHANGE_DIMENSIONS.index)
    checks = [c for c in changes.rows if c.dimension == "check"]
    rises = [c.delta("last_run")[0] for c in checks]
    assert rises == sorted(rises, reverse=True) and checks[0].name == "late_shipment"  # +2 since the last run


def test_without_earlier_runs_there_is_nothing_to_compare_with(warehouse):
    publish(warehouse, "only", NOW, RUNS[0])
    changes = load_changes(warehouse, find_publication(warehouse, "only"))
    assert [c.run_id for c in changes.comparisons] == [None, None, None]
    assert all(c.delta(key) is None for c in changes.rows for key in ("last_run", "yesterday", "last_week"))


def test_a_run_too_far_from_yesterday_is_not_yesterday(warehouse):
    publish(warehouse, "now", NOW, RUNS[0])
    publish(warehouse, "an-hour-ago", NOW - timedelta(hours=1), RUNS[1])
    changes = load_changes(warehouse, find_publication(warehouse, "now"))
    assert [(c.key, c.run_id) for c in changes.comparisons] == [
        ("last_run", "an-hour-ago"), ("yesterday", None), ("last_week", None)]


def test_per_check_history_counts_each_run_of_the_week(published):
    changes = load_changes(published, find_publication(published, "run-0"))
    in_week = [hours for hours in RUNS if hours < 24 * 7]
    for check_id in {row[0] for hours in in_week for row in RUNS[hours]}:
        counted = [(NOW - timedelta(hours=h), sum(r[0] == check_id for r in RUNS[h])) for h in sorted(in_week)[::-1]]
        assert changes.history[check_id] == counted, check_id
    assert "late_shipment" in changes.history  # the run 7 days and 2 hours before is outside the week


def test_the_report_shows_the_changes_worst_first(published):
    data = load_report_data(published.cursor(), "run-0")
    for language, missing in (("en", "no run to compare with"), ("pt-BR", "nenhuma execução para comparar")):
        html = render_report(data, language, "America/Sao_Paulo", "BRL", NOW)
        section = html[html.index('id="changes"'):html.index('id="changes-owner"')]
        checks = re.findall(r'<tr data-key="([a-z_]+)">', section[section.index('id="changes-check"'):])
        assert checks == [c.name for c in data.changes.rows if c.dimension == "check"]
        assert missing not in section  # every comparison has its run here
        assert section.count('class="sparkline"') == len(checks)
    publish(published, "later", NOW + timedelta(days=30), [])  # a month on: yesterday and last week are gone
    html = render_report(load_report_data(published.cursor(), "later"), "en", "America/Sao_Paulo", "BRL", NOW)
    assert html.count("no run to compare with") == 2 * len(CHANGE_DIMENSIONS)
