"""The demo world in absolute time: the same rows whatever window is asked, hand-overs that
hold only their hour, and a truth whose intervals open and close with the world."""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from expectations.catalog import all_checks
from retaguarda.settings import load_settings
from simulator import open_at, read_truth, simulate
from simulator.handover import hour_files, truth_rows
from simulator.injectors import INJECTORS, NOT_SIMULATED
from simulator.timeworld import HOUR, TimeWorld, hour_stamp

OPENED = int(datetime(2026, 11, 16, 12, tzinfo=UTC).timestamp())  # a Monday; Friday 20th is a holiday
END = datetime(2026, 11, 21, 6, tzinfo=UTC)
THRESHOLDS = load_settings(environ={}).thresholds.model_dump()


def world(seed: int = 7) -> TimeWorld:
    return TimeWorld(seed, OPENED, orders_per_hour=10, anomaly_rate=0.03)


def digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "ground_truth.csv"}


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("feed")
    simulate(out, END - timedelta(hours=1), END, seed=7, orders_per_hour=10,
             history_days=(END - timedelta(hours=1) - datetime.fromtimestamp(OPENED, UTC)).total_seconds() / 86400)
    return out


def test_an_hour_is_the_same_whatever_was_drawn_before():
    h = END.timestamp() // HOUR - 3
    late = world()
    for k in range(int(h) - 40, int(h) + 3):  # a world that lived through the days before
        late.bucket(k)
    assert hour_files(world(), int(h)) == hour_files(late, int(h))


def test_same_seed_different_windows_give_identical_overlapping_files(tmp_path, folder):
    step = tmp_path / "step"
    mid = END - timedelta(hours=30)
    history = (mid - timedelta(hours=1) - datetime.fromtimestamp(OPENED, UTC)).total_seconds() / 86400
    simulate(step, mid - timedelta(hours=1), mid, seed=7, orders_per_hour=10, history_days=history)
    first = digest(step)
    simulate(step, END - timedelta(hours=1), END, seed=7, orders_per_hour=10, history_days=history)
    again = digest(step)
    assert {k: v for k, v in again.items() if k in first} == first, "later runs never rewrite an hour"
    assert again == digest(folder), "one window at once or hour after hour: the same files"


def test_another_seed_gives_another_world():
    h = int(END.timestamp() // HOUR) - 5
    assert hour_files(world(7), h) != hour_files(world(8), h)


def test_ids_carry_their_hour(folder):
    for page in sorted((folder / "orders").glob("*-page-0001.json")):
        for order in json.loads(page.read_text())["orders"]:
            stamp = re.fullmatch(r"ORD-(\d{10})-\d{3}", order["order_id"]).group(1)
            placed = datetime.strptime(stamp, "%Y%m%d%H").replace(tzinfo=UTC)
            assert order["placed_at"] >= placed.strftime("%Y-%m-%dT%H") or order["placed_at"] < order["updated_at"]


def test_each_file_holds_only_what_its_hour_handed_over(folder):
    late_events = 0
    for page in sorted((folder / "orders").glob("*-page-0001.json")):
        stamp = page.name[:10]
        start = datetime.strptime(stamp, "%Y%m%d%H").replace(tzinfo=UTC).strftime("%Y-%m-%dT%H")
        orders = json.loads(page.read_text())["orders"]
        latest = {}
        for order in orders:
            latest[order["order_id"]] = max(latest.get(order["order_id"], ""), order["updated_at"])
        assert all(v.startswith(start) for v in latest.values()), page.name
        path = folder / "carrier" / f"{stamp}-tracking_events.jsonl"
        events = path.read_text().splitlines() if path.exists() else []  # a quiet hour sends nothing
        stamps = [json.loads(e)["event_at"] for e in events]
        assert all(s[:13] <= start for s in stamps)
        late_events += sum(s[:13] < start for s in stamps)
        shipments = folder / "stock" / f"{stamp}-shipments.csv"
        if shipments.exists():
            with shipments.open() as f:
                assert all(r["shipped_at"].startswith(start) for r in csv.DictReader(f))
    assert late_events > 0, "some carrier events arrive hours after they happened"


def test_some_files_are_delivered_again_byte_for_byte(folder):
    again = sorted((folder / "orders").glob("*-page-0002.json"))
    assert again, "now and then the API hands an hour over again"
    for page in again:
        before = datetime.strptime(page.name[:10], "%Y%m%d%H").replace(tzinfo=UTC) - timedelta(hours=1)
        assert page.read_bytes() == (folder / "orders" / f"{before:%Y%m%d%H}-page-0001.json").read_bytes()


def test_every_catalog_check_has_one_injector():
    assert {check.id for check in all_checks()} <= set(INJECTORS) | set(NOT_SIMULATED) | {
        "stalled_in_transit", "carrier_exception_open", "late_delivery"}  # read off every parcel's timeline


def test_three_weeks_of_truth_cover_every_catalog_check_and_fix_some():
    """The slow checks (a return 48 business hours unbooked, a late delivery) need weeks to show."""
    tw = TimeWorld(11, OPENED - 10 * 24 * HOUR, orders_per_hour=10, anomaly_rate=0.03)
    truth = truth_rows(tw, int(END.timestamp()) + 5 * 24 * HOUR)
    assert {check.id for check in all_checks()} - {a.check for a in truth} == set(NOT_SIMULATED)
    fixed = Counter(a.check for a in truth if a.fixed_at is not None)
    for check in ("awaiting_payment_too_long", "cancelled_not_refunded", "return_not_restocked", "stock_drift",
                  "carrier_exception_open"):
        assert fixed[check] > 0, f"{check}: some are fixed in the world"


def test_open_at_follows_the_intervals(folder):
    truth = read_truth(folder / "ground_truth.csv")
    for a in truth:
        assert a.fixed_at is None or a.fixed_at > a.visible_at
        pair = (a.check, a.entity)
        assert pair in open_at(truth, a.visible_at)
        assert pair not in open_at([a], a.visible_at - 1)
        if a.fixed_at is not None:
            assert pair not in open_at([a], a.fixed_at)


def test_truth_file_agrees_with_the_world_and_grows_with_time(folder):
    tw = world()
    end = int(END.timestamp())
    rows = {(a.check, a.entity, a.visible_at, a.fixed_at) for a in truth_rows(tw, end)}
    assert rows == {(a.check, a.entity, a.visible_at, a.fixed_at) for a in read_truth(folder / "ground_truth.csv")}
    earlier = {(a.check, a.entity, a.visible_at, a.fixed_at) for a in truth_rows(tw, end - 24 * HOUR)}
    assert earlier < rows, "a day earlier the truth knew a subset of today's anomalies"


def test_thresholds_come_from_settings():
    """Moving the payment SLA moves when an unpaid order becomes visible, by exactly that much."""
    strict = dict(THRESHOLDS, payment_sla_hours=THRESHOLDS["payment_sla_hours"] - 6)
    a = TimeWorld(7, OPENED, 10, 0.03)
    b = TimeWorld(7, OPENED, 10, 0.03, thresholds=strict)
    end = int(END.timestamp())
    va = {x.entity: x.visible_at for x in truth_rows(a, end) if x.check == "awaiting_payment_too_long"}
    vb = {x.entity: x.visible_at for x in truth_rows(b, end) if x.check == "awaiting_payment_too_long"}
    assert va and all(vb[e] == va[e] - 6 * HOUR for e in va)


def test_clean_partial_shipments_are_further_apart_than_the_split_window():
    window = THRESHOLDS.get("split_parcel_window_hours")
    if window is None:
        pytest.skip("split_shipment_overcharge is not in this catalog")
    tw = world()
    for h in range(OPENED // HOUR, OPENED // HOUR + 72):
        for o in tw.bucket(h).orders:
            if len(o.ships) > 1 and o.anomaly != "split_shipment_overcharge":
                gaps = [b.shipped - a.shipped for a, b in zip(o.ships, o.ships[1:], strict=False)]
                assert min(gaps) > window * HOUR, o.order_id


def test_stock_snapshots_agree_with_movements_except_where_the_truth_says(folder):
    """Snapshot = previous snapshot + the movements between, unless stock_drift is open then."""
    snaps: dict[tuple[str, str], list[tuple[str, int]]] = {}
    moves: list[tuple[str, str, str, int]] = []
    for path in sorted((folder / "stock").glob("*-stock_snapshots.csv")):
        with path.open() as f:
            for r in csv.DictReader(f):
                snaps.setdefault((r["warehouse_id"], r["sku"]), []).append((r["snapshot_at"], int(r["on_hand"])))
    for path in sorted((folder / "stock").glob("*-stock_movements.csv")):
        with path.open() as f:
            moves += [(r["occurred_at"], r["warehouse_id"], r["sku"], int(r["quantity_delta"]))
                      for r in csv.DictReader(f)]
    by_pos: dict[tuple[str, str], list[tuple[str, int]]] = {}
    for t, wh, sku, d in moves:
        by_pos.setdefault((wh, sku), []).append((t, d))
    truth = read_truth(folder / "ground_truth.csv")
    end = int(END.timestamp())
    # a drift someone booked by END no longer shows in the files; the others do
    drift = {(a.entity, a.visible_at) for a in truth if a.check == "stock_drift" and a.visible_at < end
             and (a.fixed_at == a.visible_at + 24 * HOUR or a.fixed_at > end)}
    bad = set()
    for pos, series in snaps.items():
        for (t0, on0), (t1, on1) in zip(series, series[1:], strict=False):
            delta = sum(d for t, d in by_pos.get(pos, []) if t0 < t <= t1)
            if on0 + delta != on1:
                seen_at = int(datetime.strptime(t1, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()) + HOUR
                bad.add((f"{pos[0]}:{pos[1]}", seen_at))
    assert bad == drift and drift


def test_hour_stamp():
    assert hour_stamp(int(datetime(2026, 11, 20, 13, tzinfo=UTC).timestamp()) // HOUR) == "2026112013"
