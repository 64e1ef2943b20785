"""Staging as versioned history: folded batch by batch, it reads as the full dedup of raw at any as_of.

The oracle here is the dedup staging did before it kept history, written out again from the
canonical model: among the raw rows known at as_of, per entity, the latest version, then the
last landed. It reads all of raw at every as_of; the history is folded from new batches only.
"""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime, timedelta

import duckdb
import pytest
import yaml
from conftest import insert_raw, rows

from sources.canonical import SQL_TYPES, TABLES
from tasks.transform import fold_raw
from warehouse.database import CORE_MODELS, connect, latest_macro_sql, migrate, set_variables

T0 = datetime(2026, 11, 27, 10, 0, tzinfo=UTC)
LINEAGE = "_source, _batch_id, _file, _row_number, _loaded_at"
LINEAGE_ORDER = ("_loaded_at", "_row_number", "_batch_id", "_file")


def oracle_sql(table: str) -> str:
    """The pre-history dedup of raw.<table> as of the bound variable as_of."""
    model = TABLES[table]
    casts = ", ".join(
        column if SQL_TYPES[kind] is None else f"cast({column} as {SQL_TYPES[kind]}) as {column}"
        for column, kind in model.columns.items()
    )
    known = " and ".join(f"cast({c} as timestamptz) <= getvariable('as_of')" for c in model.known_at) or "true"
    order = ", ".join(f"{c} desc" for c in (*model.version, *LINEAGE_ORDER))
    return (
        f"select * exclude (_loaded_at, _file) from (select {casts}, _batch_id, _row_number, _loaded_at, _file "
        f"from raw.{table} where {known}) "
        f"qualify row_number() over (partition by {', '.join(model.entity_columns)} order by {order}) = 1"
    )


def as_of_rows(con: duckdb.DuckDBPyConnection, table: str, as_of: datetime) -> tuple[list, list]:
    """(staging's latest_<table>() from the history, the oracle over raw), both as of `as_of`, sorted."""
    set_variables(con, {"as_of": as_of})
    con.execute(latest_macro_sql(table))
    kept = con.execute(f"select * from latest_{table}()").fetchall()
    expected = con.execute(oracle_sql(table)).fetchall()
    return sorted(kept, key=repr), sorted(expected, key=repr)


def history(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    return sorted(con.execute(f"select * from staging.{table}_history").fetchall(), key=repr)


def order(order_id: str, updated_at: str, status: str, total: str = "100.00") -> dict:
    return {"order_id": order_id, "channel": "web", "customer_id": "C-1", "placed_at": "2026-11-27T09:00:00Z",
            "status": status, "currency": "BRL", "shipping_amount": "0.00", "discount_amount": "0.00",
            "total_amount": total, "updated_at": updated_at}


def land(con, batch: str, loaded_at: datetime, table: str, *records: dict) -> None:
    """Rows of one new batch, as landing appends them."""
    for number, record in enumerate(records, start=1):
        values = {**{k: None if v is None else str(v) for k, v in record.items()},
                  "_source": "test", "_batch_id": batch, "_file": f"{batch}.json", "_row_number": number,
                  "_loaded_at": loaded_at}
        con.execute(f"insert into raw.{table} ({', '.join(values)}) values ({', '.join('?' for _ in values)})",
                    list(values.values()))


def at(hour: int, minute: int = 0) -> str:
    return (T0 + timedelta(hours=hour, minutes=minute)).strftime("%Y-%m-%dT%H:%M:%SZ")


def three_batches(con) -> None:
    """Versions of O-1 in order, then its newest re-delivered changed, then a late older version."""
    land(con, "b1", T0, "orders", order("O-1", at(0), "pending_payment"), order("O-1", at(1), "paid"))
    land(con, "b1", T0, "order_lines",
         {"order_id": "O-1", "order_updated_at": at(0), "line_no": 1, "sku": "A", "quantity": 1, "unit_price": "100"},
         {"order_id": "O-1", "order_updated_at": at(1), "line_no": 1, "sku": "A", "quantity": 2, "unit_price": "50"})
    land(con, "b1", T0, "payments",
         {"payment_id": "P-1", "order_id": "O-1", "order_updated_at": at(1), "kind": "capture", "amount": "100",
          "currency": "BRL", "occurred_at": at(0, 50)})
    yield
    # the same key again, changed: the last landed wins; and a new order
    land(con, "b2", T0 + timedelta(hours=2), "orders", order("O-1", at(1), "paid", total="90.00"),
         order("O-2", at(1, 30), "paid"))
    yield
    # late: a version older than the current one, with its payment re-delivered for it
    land(con, "b3", T0 + timedelta(hours=3), "orders", order("O-1", at(0, 30), "paid", total="80.00"))
    land(con, "b3", T0 + timedelta(hours=3), "payments",
         {"payment_id": "P-1", "order_id": "O-1", "order_updated_at": at(0, 30), "kind": "capture",
          "amount": "80", "currency": "BRL", "occurred_at": at(0, 20)})
    yield


GRID = [T0 + timedelta(minutes=m) for m in range(-30, 200, 10)]


@pytest.fixture
def folded(warehouse):
    """The three batches folded one at a time, each build after its batch."""
    for _ in three_batches(warehouse):
        fold_raw(warehouse)
    return warehouse


def test_each_batch_folded_reads_as_the_full_dedup_at_every_as_of(folded):
    for table in ("orders", "order_lines", "payments"):
        for as_of in GRID:
            kept, expected = as_of_rows(folded, table, as_of)
            assert kept == expected, (table, as_of)


def test_late_and_redelivered_versions_hold_for_their_own_time(folded):
    def o1(as_of):
        set_variables(folded, {"as_of": as_of})
        folded.execute(latest_macro_sql("orders"))
        return rows(folded, "select status, total_amount from latest_orders() where order_id = 'O-1'")

    assert o1(T0 - timedelta(minutes=1)) == []
    assert o1(T0 + timedelta(minutes=10)) == [("pending_payment", 100)]
    assert o1(T0 + timedelta(minutes=40)) == [("paid", 80)]  # the late version, for its half hour
    assert o1(T0 + timedelta(hours=5)) == [("paid", 90)]  # the re-delivered newest, last landed
    assert rows(folded, "select valid_from, valid_to from staging.orders_history where order_id = 'O-1' "
                        "order by valid_from") == [
        (T0, T0 + timedelta(minutes=30)),
        (T0 + timedelta(minutes=30), T0 + timedelta(hours=1)),
        (T0 + timedelta(hours=1), None),
    ]


def test_folding_batch_by_batch_equals_folding_all_at_once(folded):
    once = connect(":memory:")
    migrate(once, T0)
    for _ in three_batches(once):
        pass
    fold_raw(once)
    for table in TABLES:
        assert history(folded, table) == history(once, table), table


def test_a_build_with_nothing_new_reads_nothing(folded):
    assert sum(fold_raw(folded).values()) == 0
    insert_raw(folded, "skus", {"sku": "A", "description": "a", "unit_weight_kg": "1", "reorder_point": "1"})
    assert fold_raw(folded)["skus"] == 1


def test_a_history_without_a_column_the_model_has_is_folded_again_from_raw(folded):
    before = history(folded, "orders")
    folded.execute("alter table staging.orders_history drop column channel")
    assert fold_raw(folded)["orders"] == 5  # every raw order row read again
    assert history(folded, "orders") == before


# --- a replay of the real flow: incremental against a full rebuild ----------------------

FIRST = datetime(2026, 11, 20, 16, 0, tzinfo=UTC)
# Short here to keep the suite quick; the long replay is the same test with more windows:
#   INCREMENTAL_REPLAY_HOURS=48 uv run pytest tests/test_incremental.py -q
HOURS = int(os.environ.get("INCREMENTAL_REPLAY_HOURS", "6"))


def _settings(folder, warehouse) -> str:
    path = folder / f"{warehouse.stem}.yaml"
    path.write_text(yaml.safe_dump({
        "warehouse": {"path": str(warehouse)},
        "source": {"kind": "demo", "folder": str(folder / "feed")},
        "demo": {"seed": 11, "days": 3, "orders_per_hour": 6, "anomaly_rate": 0.2},
        "ledger": {"export_dir": str(folder / "exports")},
        "report": {"dir": str(folder / "reports")},
    }))
    return str(path)


def _records(con, sql: str, *params) -> list[dict]:
    cursor = con.execute(sql, list(params))
    names = [column[0] for column in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _late_and_redelivered(path) -> int:
    """Between two runs: an order's newest version re-delivered, changed, and an older one arriving late."""
    con = connect(path)
    try:
        picked = con.execute(
            "select order_id, list_sort(list(distinct updated_at)) from raw.orders group by order_id "
            "having count(distinct updated_at) >= 2 order by order_id limit 5"
        ).fetchall()
        loaded = con.execute("select max(_loaded_at) from raw.orders").fetchone()[0] + timedelta(seconds=1)
        for number, (order_id, versions) in enumerate(picked):
            first, second = (datetime.fromisoformat(v.replace("Z", "+00:00")) for v in versions[:2])
            late = (first + (second - first) / 2).strftime("%Y-%m-%dT%H:%M:%SZ")
            newest, older = (_records(con, f"select * exclude ({LINEAGE}) from raw.orders "
                                              "where order_id = ? and updated_at = ? limit 1", order_id, v)[0]
                             for v in (versions[-1], versions[0]))
            land(con, f"late-{number}", loaded, "orders",
                 {**newest, "channel": "redelivered"}, {**older, "updated_at": late, "channel": "late"})
            land(con, f"late-{number}", loaded, "order_lines",
                 *({**line, "order_updated_at": late} for line in _records(
                     con, f"select * exclude ({LINEAGE}) from raw.order_lines "
                     "where order_id = ? and order_updated_at = ?", order_id, versions[0])))
        return len(picked)
    finally:
        con.close()


@pytest.fixture(scope="module")
def replayed(tmp_path_factory, prefect_server):
    """HOURS hourly windows into one warehouse, late and re-delivered rows landing half way."""
    from flows.backfill import backfill

    folder = tmp_path_factory.mktemp("incremental")
    warehouse = folder / "incremental.duckdb"
    settings = _settings(folder, warehouse)
    middle = FIRST + timedelta(hours=HOURS // 2)
    backfill(start=FIRST, end=middle, settings_file=settings)
    assert _late_and_redelivered(warehouse) == 5
    backfill(start=middle, end=FIRST + timedelta(hours=HOURS), settings_file=settings)
    return folder, warehouse


def test_staging_as_of_every_window_equals_the_dedup_of_all_raw(replayed):
    _, warehouse = replayed
    con = connect(warehouse)
    try:
        assert con.execute("select count(*) from raw.orders where channel in ('late', 'redelivered')"
                           ).fetchone() == (10,)
        for hour in range(HOURS + 1):
            for table in TABLES:
                kept, expected = as_of_rows(con, table, FIRST + timedelta(hours=hour))
                assert kept == expected, (table, hour)
        assert con.execute("select count(*) from staging.orders where channel = 'redelivered'").fetchone() == (5,)
    finally:
        con.close()


def test_a_full_rebuild_gives_the_same_staging_core_and_exceptions(replayed, capsys):
    from expectations.catalog import all_checks, configured_catalog
    from retaguarda.cli import main
    from retaguarda.settings import load_settings
    from tasks.applicability import decide_checks
    from tasks.materialise import materialise_checks

    folder, warehouse = replayed
    copy = folder / "rebuilt.duckdb"
    shutil.copy(warehouse, copy)
    settings_file = _settings(folder, copy)
    assert main(["rebuild", "--settings", settings_file]) == 0
    out = capsys.readouterr().out
    assert "folding raw.orders into staging.orders_history (1/11)" in out
    assert "rebuilt" in out

    end = FIRST + timedelta(hours=HOURS)
    suites = configured_catalog(load_settings(settings_file).check_overrides())
    incremental, rebuilt = connect(warehouse), connect(copy)
    try:
        # the replayed warehouse's last build recomputed only some orders; the rebuild, every one
        state = "select incremental, orders_recomputed from core.build_state"
        incremental_build = incremental.execute(state).fetchone()
        assert incremental_build[0] is True
        rebuilt_build = rebuilt.execute(state).fetchone()
        assert rebuilt_build[0] is False
        assert incremental_build[1] < rebuilt_build[1]
        assert rebuilt.execute("select count(*) from staging.folded_batches").fetchone()[0] > 0
        for table in TABLES:
            assert history(incremental, table) == history(rebuilt, table), table
            assert (sorted(incremental.execute(f"select * from staging.{table}").fetchall(), key=repr)
                    == sorted(rebuilt.execute(f"select * from staging.{table}").fetchall(), key=repr)), table
        for model in CORE_MODELS:
            kept = sorted(incremental.execute(f"select * from core.{model}").fetchall(), key=repr)
            assert kept, model
            assert kept == sorted(rebuilt.execute(f"select * from core.{model}").fetchall(), key=repr), model
        set_variables(rebuilt, load_settings(settings_file).sql_variables(end))  # as the run binds them
        skipped = decide_checks(rebuilt, suites, "rebuild-check", end)
        materialise_checks(rebuilt, suites, end, skipped)
        found = 0
        for check in all_checks(suites):
            published = sorted(incremental.execute(f"select * from exceptions.{check.id}").fetchall(), key=repr)
            recomputed = sorted(rebuilt.execute(f"select * from work.{check.id}").fetchall(), key=repr)
            assert published == recomputed, check.id
            found += len(published)
        assert found > 0, "the replay published exceptions to compare"
    finally:
        incremental.close()
        rebuilt.close()


def test_rebuild_without_a_warehouse_says_so(tmp_path, capsys):
    from retaguarda.cli import NOT_FOUND, main

    settings = tmp_path / "s.yaml"
    settings.write_text(yaml.safe_dump({"warehouse": {"path": str(tmp_path / "none.duckdb")}}))
    assert main(["rebuild", "--settings", str(settings)]) == NOT_FOUND
    assert "no warehouse at" in capsys.readouterr().err
