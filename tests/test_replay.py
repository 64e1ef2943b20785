"""Consecutive hourly runs of the real flow on the demo world, scored against the truth after every run."""

from __future__ import annotations

import os
from datetime import UTC, datetime

import pytest

from bench.replay import replay

# The Friday of Consciência Negra (a holiday), into the evening: the first run lands two
# days of history into a fresh warehouse, the same window then runs again, then the next hours.
FIRST = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def short(tmp_path_factory, prefect_server):
    return replay(tmp_path_factory.mktemp("replay"), seed=5, first=FIRST, hours=5, days=2, orders_per_hour=6,
                  repeat_first=True)


def test_demo_twice_then_the_next_hour_leaves_the_ledger_equal_to_the_truth(short):
    # every run is compared: the fresh one, the same window again, and the next hours
    assert short.runs == 6
    assert short.misses == []


def test_short_replay_is_exact_and_never_flaps(short):
    assert sum(short.tp.values()) > 0, "the world has open exceptions to find"
    assert (short.recall(), short.precision(), short.flaps) == (1.0, 1.0, 0)
    assert short.resolved_wrong == 0


@pytest.mark.skipif(not os.environ.get("RETAGUARDA_SLOW_TESTS"), reason="24 flow runs: set RETAGUARDA_SLOW_TESTS=1")
def test_a_day_of_hourly_demo_runs_stays_with_the_truth(tmp_path, prefect_server):
    score = replay(tmp_path, seed=13, first=datetime(2026, 12, 24, 12, 0, tzinfo=UTC), hours=24, days=3,
                   orders_per_hour=6)
    assert score.misses == []
    assert (score.recall(), score.precision(), score.flaps) == (1.0, 1.0, 0)
