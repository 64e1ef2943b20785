"""Alerts on change, not on state: a digest of what got new, worse or came back."""

from __future__ import annotations

import duckdb
from prefect.blocks.core import Block

from tasks.digest import Change, run_changes

ALERTED_EVENTS = ("new", "escalated", "reopened")
DIGEST_LINES = 50


def digest(changes: list[Change], window: str) -> tuple[str, str]:
    """(subject, body) of the alert for a run's changes."""
    counts = {event: sum(1 for c in changes if c.event == event) for event in ALERTED_EVENTS}
    subject = f"Retaguarda {window}: " + ", ".join(f"{n} {event}" for event, n in counts.items() if n)
    lines = [
        f"[{c.severity}] {c.event}: {c.check_id} {c.entity_id} (owner {c.owner}"
        + (f", {c.amount_at_risk:,.2f} at risk)" if c.amount_at_risk is not None else ")")
        for c in changes[:DIGEST_LINES]
    ]
    if len(changes) > DIGEST_LINES:
        lines.append(f"... and {len(changes) - DIGEST_LINES} more")
    return subject, "\n".join(lines)


def send_alerts(
    con: duckdb.DuckDBPyConnection, run_id: str, window: str, block_slug: str | None, min_severity: str
) -> int:
    """Notify through the configured Prefect block; returns the changes sent (0 when silent)."""
    if block_slug is None:
        return 0
    changes = [c for c in run_changes(con, run_id, min_severity) if c.event in ALERTED_EVENTS]
    if not changes:
        return 0
    subject, body = digest(changes, window)
    Block.load(block_slug).notify(body=body, subject=subject)
    return len(changes)
