"""The whole-run benchmark's own machinery, on a tiny shop: seconds, not a measurement."""

from __future__ import annotations

from bench.whole_run import Scenario, run_scenario, table


def test_whole_run_scenario_times_runs_and_agrees_with_the_floor(tmp_path, prefect_server):
    # run_scenario stops if the last run's published exception counts differ from the floor's
    result = run_scenario(Scenario("smoke", orders_per_hour=2, history_days=0.5, repeats=1), tmp_path)
    assert len(result.run_s) == 1 and len(result.floor_s) == 1
    assert 0 < result.floor_median < result.run_median  # plain counts are cheaper than the whole run
    assert result.order_lines > 0 and result.raw_rows > result.order_lines
    assert result.peak_rss_mb > 50
    assert "| smoke | 2 | 0.5 |" in table([result])
