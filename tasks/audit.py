"""What a run did, returned by the flow and recorded in the audit schema."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from expectations.catalog import SEVERITIES, Suite
from retaguarda.window import Window
from tasks.validate import ExpectationResult


@dataclass
class RunSummary:
    run_id: str
    window: Window
    rows_landed: dict[str, int] = field(default_factory=dict)  # feed -> rows
    schema_drift: list[str] = field(default_factory=list)  # mapped sources: drift and file problems
    model_rows: dict[str, int] = field(default_factory=dict)  # schema.table -> rows
    validations: list[ExpectationResult] = field(default_factory=list)
    exceptions: dict[str, int] = field(default_factory=dict)  # check id -> rows
    not_evaluated: dict[str, str] = field(default_factory=dict)  # check id -> why it was not evaluated
    events: dict[str, int] = field(default_factory=dict)  # ledger event -> exceptions
    published: bool = False
    new_serious: dict[str, int] = field(default_factory=dict)  # "new high", "reopened critical"... -> exceptions
    alerts_sent: int = 0
    report_path: Path | None = None

    def report(self, suites: tuple[Suite, ...]) -> str:
        lines = [f"Reconciliation {self.run_id[:8]} for {self.window}"]
        lines.append("rows landed: " + ", ".join(f"{f} {n}" for f, n in self.rows_landed.items()))
        lines += [f"schema drift: {note}" for note in self.schema_drift]
        lines.append(f"{'stage':<18}{'checks':>7}{'failing':>9}{'exceptions':>12}{'not evaluated':>15}")
        for suite in suites:
            counts = [self.exceptions.get(check.id, 0) for check in suite.checks]
            failing = sum(1 for n in counts if n)
            skipped = sum(1 for check in suite.checks if check.id in self.not_evaluated)
            lines.append(f"{suite.stage:<18}{len(counts):>7}{failing:>9}{sum(counts):>12}{skipped:>15}")
        lines += [f"not evaluated: {check_id}: {reason}" for check_id, reason in self.not_evaluated.items()]
        contract_failures = [v for v in self.validations if v.check_id == "contract" and not v.success]
        for failed in contract_failures:
            lines.append(f"contract broken in {failed.suite}: {failed.describe()} ({failed.unexpected_count} rows)")
        if self.published:
            changes = ", ".join(f"{n} {event}" for event, n in sorted(self.events.items()))
            lines.append(f"ledger: {changes or 'no change'}")
        else:
            lines.append("ledger: not changed, a newer window is already published")
        if self.report_path:
            lines.append(f"report: {self.report_path}")
        return "\n".join(lines)


# The severities that make a run end "Exceptions found": the two highest.
SERIOUS = SEVERITIES[-2:]


def new_serious_exceptions(con: duckdb.DuckDBPyConnection, run_id: str) -> dict[str, int]:
    """High and critical exceptions this run opened or reopened, e.g. {"new high": 3, "new critical": 1}."""
    rows = con.execute(
        """
        select event || ' ' || severity, count(*) from exceptions.ledger_events
        where run_id = ? and event in ('new', 'reopened') and list_contains(?, severity)
        group by event, severity order by event, list_position(?, severity)
        """,
        [run_id, list(SERIOUS), list(SERIOUS)],
    ).fetchall()
    return dict(rows)


@dataclass(frozen=True)
class RunRecord:
    """A run as audit.runs keeps it."""

    run_id: str
    flow_run_id: str
    window: Window
    started_at: datetime


def record_completion(con: duckdb.DuckDBPyConnection, run: RunRecord) -> None:
    """The run is completed: called inside the publish transaction, so it commits with the publication."""
    put_run(con, [run.run_id, run.flow_run_id, run.window.start, run.window.end, run.started_at,
                  datetime.now(UTC), "completed"])


def put_run(con: duckdb.DuckDBPyConnection, row: list) -> None:
    """Insert or replace the run's row in audit.runs, keyed by run_id.

    Delete then insert in the caller's transaction rather than INSERT OR REPLACE: a DuckLake
    has no primary keys, so the key is kept here, the same way on both warehouse kinds.
    """
    con.execute("delete from audit.runs where run_id = ?", [row[0]])
    con.execute("insert into audit.runs values (?, ?, ?, ?, ?, ?, ?)", row)


def record_run(
    con: duckdb.DuckDBPyConnection, summary: RunSummary, flow_run_id: str, started: datetime, status: str,
    error: BaseException | None = None,
) -> None:
    """Row counts and validations; the run's status unless its publication already recorded it.

    A published run stays completed: a failure after the publication (report, alerts, pruning)
    goes to audit.run_errors. A failed run's reason goes there too.
    """
    finished = datetime.now(UTC)
    con.execute("begin transaction")
    if not summary.published:
        put_run(con, [summary.run_id, flow_run_id, summary.window.start, summary.window.end, started, finished, status])
    if error is not None:  # why a run failed, or what failed after its publication
        con.execute(
            "insert into audit.run_errors values (?, ?, ?)",
            [summary.run_id, finished, f"{type(error).__name__}: {error}"],
        )
    counts = (
        [[summary.run_id, "land", feed, n] for feed, n in summary.rows_landed.items()]
        + [[summary.run_id, "model", table, n] for table, n in summary.model_rows.items()]
        + [[summary.run_id, "exceptions", check, n] for check, n in summary.exceptions.items()]
    )
    validations = [
        [summary.run_id, v.suite, v.check_id, v.expectation, v.success, v.unexpected_count, v.duration_s, finished]
        for v in summary.validations
    ]
    if counts:
        con.executemany("insert into audit.row_counts values (?, ?, ?, ?)", counts)
    if validations:
        con.executemany("insert into audit.validations values (?, ?, ?, ?, ?, ?, ?, ?)", validations)
    con.execute("commit")
