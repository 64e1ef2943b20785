"""Prefect artifacts for a run: a markdown summary and the top new exceptions."""

from __future__ import annotations

import duckdb
from prefect.artifacts import create_markdown_artifact, create_table_artifact

from tasks.digest import open_by_stage, run_changes

SUMMARY_KEY = "reconciliation-summary"
TOP_NEW_KEY = "top-new-exceptions"
TOP_NEW_ROWS = 25


def summary_markdown(con: duckdb.DuckDBPyConnection, run_id: str, window: str, events: dict[str, int]) -> str:
    stages = open_by_stage(con, run_id)
    lines = [
        f"# Reconciliation {window}",
        "",
        "| new | escalated | reopened | resolved | open | money at risk |",
        "|---:|---:|---:|---:|---:|---:|",
        f"| {events.get('new', 0)} | {events.get('escalated', 0)} | {events.get('reopened', 0)} "
        f"| {events.get('resolved', 0)} | {sum(n for _, n, _ in stages)} | {sum(a for _, _, a in stages):,.2f} |",
        "",
        "## Open by stage",
        "",
        "| stage | open | money at risk |",
        "|---|---:|---:|",
        *(f"| {stage} | {count} | {amount:,.2f} |" for stage, count, amount in stages),
    ]
    skipped = not_evaluated(con, run_id)
    if skipped:
        lines += [
            "", "## Not evaluated", "",
            "Checks this run could not judge: no exceptions found, and their open ones left as they were.", "",
            "| check | why |", "|---|---|",
            *(f"| {check_id} | {reason} |" for check_id, reason in skipped),
        ]
    return "\n".join(lines)


def not_evaluated(con: duckdb.DuckDBPyConnection, run_id: str) -> list[tuple[str, str]]:
    """(check id, reason) for the checks the run did not evaluate (audit.check_runs)."""
    return con.execute(
        "select check_id, reason from audit.check_runs where run_id = ? and not evaluated order by check_id",
        [run_id],
    ).fetchall()


def publish_artifacts(con: duckdb.DuckDBPyConnection, run_id: str, window: str, events: dict[str, int]) -> None:
    """Stable keys, so each run adds a version and the UI shows the trend."""
    create_markdown_artifact(
        key=SUMMARY_KEY, markdown=summary_markdown(con, run_id, window, events),
        description=f"Exceptions as of the end of {window}",
    )
    new = [change for change in run_changes(con, run_id) if change.event == "new"][:TOP_NEW_ROWS]
    create_table_artifact(
        key=TOP_NEW_KEY,
        table=[
            {"severity": c.severity, "check": c.check_id, "stage": c.stage, "entity": c.entity_id,
             "owner": c.owner, "amount_at_risk": None if c.amount_at_risk is None else float(c.amount_at_risk)}
            for c in new
        ],
        description=f"Top {TOP_NEW_ROWS} new exceptions of {window}, worst first",
    )
