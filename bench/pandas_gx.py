"""(c) The same suites through GX's pandas datasource: the path most GX users take.

Each core table a suite reads is exported once to a pandas frame (`.df()`), with the few
derived columns pandas cannot compute (business hours need the calendar table, the
unknown-SKU count lives in a DuckDB list). Every check becomes one GX expectation whose
row_condition is the check's WHERE clause written for pandas, so GX itself evaluates the
predicate; the contract expectations are the suites' own.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import duckdb
import great_expectations as gx
import great_expectations.expectations as gxe
import pandas as pd
from great_expectations.data_context.types.base import ProgressBarsConfig

from expectations.catalog import Suite, all_checks
from tasks.validate import contract_expectation

# Columns added to an exported table, computed by DuckDB (counted in frame-building time).
DERIVED: dict[str, list[str]] = {
    "core.order_capture": ["len(unknown_sku_lines) as unknown_sku_count"],
    "core.order_payments": [
        "business_hours_between(paid_at, coalesce(first_allocated_at, getvariable('as_of'))) "
        "as business_hours_to_allocate",
    ],
    "core.shipment_tracking": [
        "business_hours_between(shipped_at, coalesce(first_scan_at, getvariable('as_of'))) "
        "as business_hours_to_scan",
        "business_hours_between(shipped_at, getvariable('as_of')) as business_hours_since_shipped",
        "business_hours_between(last_event_at, getvariable('as_of')) as business_hours_silent",
        "business_hours_between(returned_at, getvariable('as_of')) as business_hours_since_return",
    ],
}


@dataclass(frozen=True)
class PandasCheck:
    table: str  # the core table the check's SQL reads: its frame
    expectation: type[gxe.Expectation]
    column: str
    condition: str  # the check's WHERE clause as a pandas query

    def build(self, key: str) -> gxe.Expectation:
        return self.expectation(column=self.column, row_condition=self.condition, condition_parser="pandas",
                                meta={"key": key})


def _rows(table: str, key: str, condition: str) -> PandasCheck:
    """Count the rows matching `condition`: each has a non-null key, so each is 'unexpected'."""
    return PandasCheck(table, gxe.ExpectColumnValuesToBeNull, key, condition)


def _ts(moment: datetime) -> str:
    return f"'{moment.isoformat()}'"


def pandas_checks(v: dict[str, Any]) -> dict[str, PandasCheck]:
    """check id -> its pandas expectation; thresholds come from the run's SQL variables."""
    as_of: datetime = v["as_of"]
    tol = v["money_tolerance"]
    ago = {name: _ts(as_of - timedelta(hours=v[name]))
           for name in ("payment_sla_hours", "refund_grace_hours", "close_grace_hours")}
    stalled_hours = v["stalled_business_days"] * v["business_day_hours"]
    oc, op, sp = "core.order_capture", "core.order_payments", "core.stock_positions"
    of, st, od, cb = "core.order_fulfillment", "core.shipment_tracking", "core.order_delivery", "core.carrier_billing"
    return {
        "order_fields_valid": _rows(oc, "order_id", "not fields_valid"),
        "order_total_mismatch": _rows(oc, "order_id", "fields_valid and total_mismatch"),
        # Entity is the order line; the frame has one row per order: sum each valid order's
        # unknown-line count instead of counting rows.
        "unknown_sku": PandasCheck(oc, gxe.ExpectColumnSumToBeBetween, "unknown_sku_count", "fields_valid"),
        "paid_amount_mismatch": _rows(op, "order_id",
            "paid_at.notna() and status.notna() and status not in ['cancelled', 'returned'] "
            f"and abs(captured_amount - refunded_amount - total_amount) > {tol!r}"),
        "awaiting_payment_too_long": _rows(op, "order_id",
            f"status.notna() and status != 'cancelled' and paid_at.isna() "
            f"and placed_at < {ago['payment_sla_hours']}"),
        "cancelled_not_refunded": _rows(op, "order_id",
            f"status == 'cancelled' and captured_amount - refunded_amount > {tol!r} "
            f"and cancelled_at < {ago['refund_grace_hours']}"),
        "not_allocated_in_sla": _rows(op, "order_id",
            "paid_at.notna() and status.notna() and status != 'cancelled' "
            f"and business_hours_to_allocate > {v['allocation_sla_business_hours']!r}"),
        "oversold": _rows(sp, "position_id", "allocated > on_hand"),
        "stock_drift": _rows(sp, "position_id", "previous_snapshot_at.notna() and on_hand != expected_on_hand"),
        "stockout_risk": _rows(sp, "position_id", "allocated <= on_hand and available < reorder_point"),
        "late_shipment": _rows(of, "order_id",
            "status.notna() and status not in ['cancelled', 'pending_payment'] and ("
            "(fulfilled and last_shipped_at > promised_ship_by) "
            f"or (not fulfilled and promised_ship_by < {_ts(as_of)}))"),
        "wrong_item_shipped": _rows(of, "order_id", "fulfilled and items_differ"),
        "shipped_cancelled_order": _rows(of, "order_id", "status == 'cancelled' and shipment_count > 0"),
        "no_first_scan": _rows(st, "shipment_id",
            "tracking_well_formed and label_created_at.notna() "
            f"and business_hours_to_scan > {v['first_scan_sla_business_hours']!r}"),
        "unknown_tracking_number": _rows(st, "shipment_id",
            "not tracking_well_formed or (event_count == 0 "
            f"and business_hours_since_shipped > {v['first_scan_sla_business_hours']!r})"),
        # Entity is the tracking number: count the distinct numbers on shared-number rows.
        "duplicate_tracking_number": PandasCheck(
            st, gxe.ExpectColumnUniqueValueCountToBeBetween, "tracking_number", "shipments_with_number > 1"),
        "stalled_in_transit": _rows(st, "shipment_id",
            f"last_status in ['picked_up', 'in_transit'] and business_hours_silent > {stalled_hours!r}"),
        "carrier_exception_open": _rows(st, "shipment_id", "last_status in ['exception', 'failed_attempt']"),
        "late_delivery": _rows(od, "order_id", "all_delivered and last_delivered_at > promised_delivery_by"),
        "delivered_not_closed": _rows(od, "order_id",
            "all_delivered and status.notna() and status not in ['delivered', 'closed'] "
            f"and last_delivered_at < {ago['close_grace_hours']}"),
        "impossible_timeline": _rows(od, "order_id", "timeline_problems.str.len() > 0"),
        "return_not_restocked": _rows(st, "shipment_id",
            "returned_at.notna() and (last_return_movement_at.isna() or last_return_movement_at < returned_at) "
            f"and business_hours_since_return > {v['restock_sla_business_hours']!r}"),
        "billed_weight_mismatch": _rows(cb, "invoice_id",
            f"shipment_count > 0 and billed_weight_kg > declared_weight_kg * {1 + v['weight_tolerance_pct'] / 100!r}"),
        "charge_without_shipment": _rows(cb, "invoice_id", "shipment_count == 0"),
    }


def without_twin(suites: tuple[Suite, ...], checks: dict[str, PandasCheck]) -> list[str]:
    """Catalog checks that have no pandas expectation here: (c) leaves them out, and says so."""
    return [check.id for check in all_checks(suites) if check.id not in checks]


def frame_tables(suites: tuple[Suite, ...], checks: dict[str, PandasCheck]) -> list[str]:
    tables = {suite.batch for suite in suites}
    tables |= {checks[c.id].table for c in all_checks(suites) if c.id in checks}
    return sorted(tables)


def _select(con: duckdb.DuckDBPyConnection, table: str, lists_as_text: bool) -> str:
    columns = ["*"]
    if lists_as_text:  # LIST columns become text, so GX can hash the frame instead of pickling it
        lists = [name for name, kind, *_ in con.execute(f"describe {table}").fetchall() if kind.endswith("[]")]
        if lists:
            columns = ["* replace (" + ", ".join(f"array_to_string({c}, '; ') as {c}" for c in lists) + ")"]
    return f"select {', '.join(columns + DERIVED.get(table, []))} from {table}"


def build_frames(
    con: duckdb.DuckDBPyConnection, tables: list[str], lists_as_text: bool = False
) -> dict[str, pd.DataFrame]:
    """Export each table once (three suites share core.shipment_tracking)."""
    return {table: con.sql(_select(con, table, lists_as_text)).df() for table in tables}


def _count(suite: str, result: Any) -> int:
    if "unexpected_count" in result.result:
        return result.result["unexpected_count"]
    if result.result.get("observed_value") is not None:
        return int(result.result["observed_value"])
    raise RuntimeError(f"{suite} {result.expectation_config.meta}: not computed: {result.exception_info}")


def _groups(suite: Suite, checks: dict[str, PandasCheck]) -> dict[str, list[gxe.Expectation]]:
    """Frame -> the suite's expectations on it. A check reading another table than the
    suite's batch (not_allocated_in_sla) is validated on that table's frame."""
    groups: dict[str, list[gxe.Expectation]] = {suite.batch: []}
    for position, (name, kwargs) in enumerate(suite.contract):
        groups[suite.batch].append(contract_expectation(name, kwargs, {"key": f"contract:{position}"}))
    for check in suite.checks:
        planned = checks.get(check.id)
        if planned is None:
            continue  # no pandas twin: listed by without_twin
        groups.setdefault(planned.table, []).append(planned.build(check.id))
    return groups


def validate_on_pandas(
    frames: dict[str, pd.DataFrame], suites: tuple[Suite, ...], variables: dict[str, Any]
) -> dict[tuple[str, str], int]:
    """(suite, check id or contract:<position>) -> unexpected count, as GX on pandas finds it."""
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    datasource = context.data_sources.add_pandas("frames")
    checks = pandas_checks(variables)
    counts = {}
    for suite in suites:
        for table, expectations in _groups(suite, checks).items():
            asset = datasource.add_dataframe_asset(f"{suite.stage}:{table}")
            batch = asset.add_batch_definition_whole_dataframe("whole").get_batch(
                batch_parameters={"dataframe": frames[table]})
            validation = batch.validate(gx.ExpectationSuite(name=suite.stage, expectations=expectations),
                                        result_format="BASIC")
            for result in validation.results:
                counts[(suite.stage, result.expectation_config.meta["key"])] = _count(suite.stage, result)
    return counts
