"""What a run changed, read back from the ledger: for artifacts, alerts and the report."""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from expectations.catalog import SEVERITIES


@dataclass(frozen=True)
class Change:
    event: str
    severity: str
    check_id: str
    stage: str
    entity_id: str
    owner: str
    amount_at_risk: float | None
    exception_id: str = ""


def run_changes(con: duckdb.DuckDBPyConnection, run_id: str, min_severity: str = "low") -> list[Change]:
    """The run's ledger events at or above min_severity, worst first."""
    rows = con.execute(
        """
        select events.event, events.severity, ledger.check_id, ledger.stage, ledger.entity_id, ledger.owner,
            ledger.amount_at_risk, ledger.exception_id
        from exceptions.ledger_events as events
        inner join exceptions.ledger as ledger on events.exception_id = ledger.exception_id
        where events.run_id = ?
          and list_position(?, events.severity) >= list_position(?, ?)
        order by list_position(?, events.severity) desc, ledger.amount_at_risk desc nulls last,
            ledger.check_id, ledger.entity_id
        """,
        [run_id, list(SEVERITIES), list(SEVERITIES), min_severity, list(SEVERITIES)],
    ).fetchall()
    return [Change(*row) for row in rows]


def by_owner(changes: list[Change]) -> dict[str, list[Change]]:
    """Each owner's changes, in the order given (worst first); owners in name order."""
    owners: dict[str, list[Change]] = {}
    for change in changes:
        owners.setdefault(change.owner, []).append(change)
    return dict(sorted(owners.items()))


def open_by_stage(con: duckdb.DuckDBPyConnection, run_id: str) -> list[tuple[str, int, float]]:
    """(stage, active exceptions, money at risk) as the run published them."""
    return con.execute(
        """
        select stage, count(*), coalesce(sum(amount_at_risk), 0)::double
        from published.exceptions where run_id = ? group by stage order by stage
        """,
        [run_id],
    ).fetchall()
