"""The whole-run benchmark's own machinery, on a tiny shop: seconds, not a measurement."""

from __future__ import annotations

from bench.whole_run import Scenario, run_scenario, table


def test_whole_run_scenario_times_runs_and_agrees_with_the_floor(tmp_path, prefect_server):
    # run_scenario stops if the last run's published exception counts differ from the floor's
    result = run_scenario(Scenario("smoke", orders_per_hour=2, history_days=0.5, repeats=1), tmp_path)
    assert len(result.run_s) == 1 and len(result.floor_s) == 1
    assert 0 < result.work_s[0] < result.run_s[0]  # the run's own record lies within the flow call
    assert 0 < result.floor_median < result.run_median  # plain counts are cheaper than the whole run
    assert result.order_lines > 0 and result.raw_rows > result.order_lines
    assert result.peak_rss_mb > 50
    assert "| smoke | 2 | 0.5 |" in table([result])


def test_tenants_benchmark_fans_one_tenant_out_through_a_real_worker(tmp_path):
    # A Prefect server and one process worker as subprocesses, as `python -m bench.tenants --quick` runs them
    import duckdb

    from bench.tenants import AS_OF, HOUR, Shop, run_group, start_cluster, summarise, table

    with start_cluster(tmp_path / "cluster") as cluster:
        warm, hours = run_group(cluster, tmp_path / "shops", 1, "duckdb", [1], 1, Shop(2, 1), timeout=900)
    assert sum(warm.states.values()) == 1 and not summarise(hours)[0]["failed"]
    # the worker's run reconciled the hours the benchmark asked for, into the tenant's own file
    con = duckdb.connect(str(tmp_path / "shops" / "shop_00" / "warehouse.duckdb"), read_only=True)
    windows = [row[0] for row in con.execute(
        "select window_start from audit.runs where status = 'completed' order by window_start").fetchall()]
    con.close()
    assert windows == [AS_OF - 2 * HOUR, AS_OF - HOUR]
    (hour,) = hours
    assert 0 < hour.run_s[0] < hour.wall_s  # the wall also holds the submission and the worker's start
    assert "| duckdb | 1 | 1 | 1 |" in table(summarise(hours))
