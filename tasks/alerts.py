"""Alerts on change, not on state: each owner's digest of what got new, worse or came back.

A run queues one digest per owner with something new, escalated or reopened (at or above
`alerts.min_severity`) in audit.outbox, inside the publish transaction, so the digests exist
exactly when the publication does; `deliver_outbox` sends them afterwards (the share step, and
the next run for anything a crash left behind). Each owner's digest goes to the block
`alerts.owners` names for them, else to the catch-all `alerts.block`. A row is marked sent
after the notification went out: at least once, never lost.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from email.message import EmailMessage

import duckdb
from prefect.blocks.core import Block

from retaguarda.settings import EMAIL_BLOCK, AlertSettings
from tasks.digest import Change, by_owner, run_changes

ALERTED_EVENTS = ("new", "escalated", "reopened")
DIGEST_LINES = 50


def digest(
    changes: list[Change], window: str, owner: str | None = None, tenant: str | None = None
) -> tuple[str, str]:
    """(subject, body) of a digest of changes; `owner`: the one owner they all belong to; `tenant`: the shop."""
    counts = {event: sum(1 for c in changes if c.event == event) for event in ALERTED_EVENTS}
    whose = f" for {owner}" if owner else ""
    shop = f"{tenant} " if tenant else ""
    command = f"retaguarda --tenant {tenant} exceptions" if tenant else "retaguarda exceptions"
    subject = f"Retaguarda {shop}{window}{whose}: " + ", ".join(f"{n} {event}" for event, n in counts.items() if n)
    lines = [
        f"[{c.severity}] {c.event}: {c.check_id} {c.entity_id} (id {c.exception_id[:12]}"
        + (f", owner {c.owner}" if not owner else "")
        + (f", {c.amount_at_risk:,.2f} at risk)" if c.amount_at_risk is not None else ")")
        for c in changes[:DIGEST_LINES]
    ]
    if len(changes) > DIGEST_LINES:
        lines.append(f"... and {len(changes) - DIGEST_LINES} more ({command} --owner {owner})"
                     if owner else f"... and {len(changes) - DIGEST_LINES} more")
    return subject, "\n".join(lines)


def queue_alert(
    con: duckdb.DuckDBPyConnection, run_id: str, window: str, alerts: AlertSettings, tenant: str | None = None
) -> int:
    """Queue each owner's digest in the outbox (inside the publish transaction); the changes they carry."""
    changes = [c for c in run_changes(con, run_id, alerts.min_severity) if c.event in ALERTED_EVENTS]
    queued = 0
    for owner, theirs in by_owner(changes).items():
        block = alerts.block_for(owner)
        if block is None:
            continue
        subject, body = digest(theirs, window, owner, tenant)
        con.execute(
            "insert into audit.outbox (alert_id, run_id, created_at, block, subject, body, changes, owner, "
            "recipients) values (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [uuid.uuid4().hex, run_id, datetime.now(UTC), block, subject, body, len(theirs), owner,
             alerts.recipients.get(block)],
        )
        queued += len(theirs)
    return queued


def send(block: str, subject: str, body: str, recipients: list[str] | None) -> None:
    """Send one digest through a Prefect block: a notification block, or an email server to `recipients`."""
    kind, name = block.split("/")
    if kind != EMAIL_BLOCK:
        Block.load(block).notify(body=body, subject=subject)
        return
    from prefect_email import EmailServerCredentials

    credentials = EmailServerCredentials.load(name)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = credentials.username or "retaguarda@localhost"
    message["To"] = ", ".join(recipients or [])
    message.set_content(body)
    with credentials.get_server() as server:
        server.send_message(message)


def deliver_outbox(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Send every unsent digest, oldest first, each marked sent once it went out; run id -> changes sent.

    A failure to send stops here and leaves that digest and the later ones for the next attempt.
    """
    pending = con.execute(
        "select alert_id, run_id, block, subject, body, changes, recipients from audit.outbox "
        "where sent_at is null order by created_at, alert_id"
    ).fetchall()
    sent: dict[str, int] = {}
    for alert_id, run_id, block, subject, body, changes, recipients in pending:
        send(block, subject, body, recipients)
        con.execute("update audit.outbox set sent_at = ? where alert_id = ?", [datetime.now(UTC), alert_id])
        sent[run_id] = sent.get(run_id, 0) + changes
    return sent
