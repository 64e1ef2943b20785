"""Consecutive hourly runs of the real flow on the demo world, scored against the truth after every run."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from bench.replay import replay, unscored
from expectations.catalog import all_checks
from simulator.injectors import NOT_SIMULATED

# The Friday of Consciência Negra (a holiday), into the evening: the first run lands four
# days of history into a fresh warehouse, the same window then runs again, then the next hours.
# The anomaly rate is high so that a short history still carries most checks.
FIRST = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)

# Checks whose evidence takes longer than the short replay's history to become visible: a
# parcel must go silent for days, be delivered late, come back to the sender (about a week
# after the order), or be billed days after delivery. The slow replay below and the long
# replay of docs/accuracy.md score them; tests/test_thresholds.py, tests/test_checks.py and
# tests/test_split_shipment.py test their SQL on literal rows.
NOT_IN_SHORT_REPLAY = {
    "billed_weight_mismatch", "delivered_not_closed", "late_delivery", "no_first_scan",
    "return_not_restocked", "split_shipment_overcharge", "stalled_in_transit",
    *NOT_SIMULATED,
}


@pytest.fixture(scope="module")
def short(tmp_path_factory, prefect_server):
    return replay(tmp_path_factory.mktemp("replay"), seed=5, first=FIRST, hours=5, days=4, orders_per_hour=6,
                  anomaly_rate=0.2, repeat_first=True)


def test_demo_twice_then_the_next_hour_leaves_the_ledger_equal_to_the_truth(short):
    # every run is compared: the fresh one, the same window again, and the next hours
    assert short.runs == 6
    assert short.misses == []


def test_short_replay_is_exact_and_never_flaps(short):
    assert sum(short.tp.values()) > 0, "the world has open exceptions to find"
    assert (short.recall(), short.precision(), short.flaps) == (1.0, 1.0, 0)
    assert short.resolved_wrong == 0


def test_every_check_the_short_replay_cannot_see_is_named(short):
    # a check added to the catalog, or one the world stops carrying here, fails this until named
    found = {check for check in short.checks() if short.tp[check] > 0}
    assert set(unscored(short)) == NOT_IN_SHORT_REPLAY
    assert found | NOT_IN_SHORT_REPLAY == {check.id for check in all_checks()}


@pytest.mark.skipif(not os.environ.get("RETAGUARDA_SLOW_TESTS"), reason="24 flow runs: set RETAGUARDA_SLOW_TESTS=1")
def test_a_day_of_hourly_demo_runs_stays_with_the_truth_and_scores_every_check(tmp_path, prefect_server):
    # two weeks of history over Christmas Eve: returns are back and unbooked, parcels late or silent
    score = replay(tmp_path, seed=23, first=datetime(2026, 12, 24, 12, 0, tzinfo=UTC), hours=24, days=14,
                   orders_per_hour=6)
    assert score.misses == []
    assert (score.recall(), score.precision(), score.flaps) == (1.0, 1.0, 0)
    assert unscored(score) == sorted(NOT_SIMULATED)
