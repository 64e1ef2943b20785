"""Alerts on change, not on state: a digest of what got new, worse or came back.

An alert is queued in audit.outbox by the publish transaction, so it exists exactly when the
publication does, and sent afterwards by `deliver_outbox` (the share step, and the next run
for anything a crash left behind). A row is marked sent after the notification went out:
at least once, never lost.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import duckdb
from prefect.blocks.core import Block

from retaguarda.settings import AlertSettings
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


def queue_alert(con: duckdb.DuckDBPyConnection, run_id: str, window: str, alerts: AlertSettings) -> int:
    """Put the run's alert in the outbox (inside the publish transaction); the changes it carries."""
    if alerts.block is None:
        return 0
    changes = [c for c in run_changes(con, run_id, alerts.min_severity) if c.event in ALERTED_EVENTS]
    if not changes:
        return 0
    subject, body = digest(changes, window)
    con.execute(
        "insert into audit.outbox (alert_id, run_id, created_at, block, subject, body, changes) "
        "values (?, ?, ?, ?, ?, ?, ?)",
        [uuid.uuid4().hex, run_id, datetime.now(UTC), alerts.block, subject, body, len(changes)],
    )
    return len(changes)


def deliver_outbox(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Send every unsent alert, oldest first, each marked sent once it went out; run id -> changes sent.

    A failure to send stops here and leaves that alert and the later ones for the next attempt.
    """
    pending = con.execute(
        "select alert_id, run_id, block, subject, body, changes from audit.outbox "
        "where sent_at is null order by created_at, alert_id"
    ).fetchall()
    sent: dict[str, int] = {}
    for alert_id, run_id, block, subject, body, changes in pending:
        Block.load(block).notify(body=body, subject=subject)
        con.execute("update audit.outbox set sent_at = ? where alert_id = ?", [datetime.now(UTC), alert_id])
        sent[run_id] = sent.get(run_id, 0) + changes
    return sent
