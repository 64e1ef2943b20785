"""Each owner gets their own digest, once per run and only when something of theirs changed:
through a webhook block to a real HTTP listener and an email block to a real SMTP listener, on loopback."""

from __future__ import annotations

import json
import re
import socket
import threading
from datetime import UTC, datetime, timedelta
from email import message_from_bytes
from http.server import BaseHTTPRequestHandler, HTTPServer

import duckdb
import pytest
from conftest import write_settings

from flows.hourly_reconciliation import hourly_reconciliation
from simulator import simulate

FEED_END = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
WINDOW = FEED_END - timedelta(hours=2)
EMAIL_OWNER, WEBHOOK_OWNER = "finance", "warehouse-ops"  # the rest go to the catch-all webhook
ADDRESSES = ["finance@example.com", "controller@example.com"]


class Hooks(BaseHTTPRequestHandler):
    """A real webhook endpoint on loopback: every POSTed body, by path."""

    received: list[tuple[str, dict]] = []

    def do_POST(self):  # noqa: N802
        length = int(self.headers["Content-Length"])
        Hooks.received.append((self.path, json.loads(self.rfile.read(length))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


class Mailbox:
    """An aiosmtpd handler: every message it accepts, with its envelope recipients."""

    def __init__(self) -> None:
        self.received: list[tuple[list[str], object]] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        self.received.append((list(envelope.rcpt_tos), message_from_bytes(envelope.content)))
        return "250 OK"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def listeners(prefect_server):
    from aiosmtpd.controller import Controller
    from prefect.blocks.notifications import CustomWebhookNotificationBlock
    from prefect_email import EmailServerCredentials

    http = HTTPServer(("127.0.0.1", 0), Hooks)
    threading.Thread(target=http.serve_forever, daemon=True).start()
    Hooks.received = []
    mailbox = Mailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=free_port())
    smtp.start()
    for name in ("warehouse", "everyone"):
        CustomWebhookNotificationBlock(
            name=name, url=f"http://127.0.0.1:{http.server_port}/{name}",
            json_data={"subject": "{{subject}}", "body": "{{body}}"},
        ).save(f"digest-test-{name}", overwrite=True)
    EmailServerCredentials(smtp_server="127.0.0.1", smtp_port=smtp.port, smtp_type="INSECURE").save(
        "digest-test-finance", overwrite=True)
    yield mailbox
    smtp.stop()
    http.shutdown()


def ids_in(body: str) -> set[str]:
    return set(re.findall(r"\(id ([0-9a-f]{12})", body))


def test_each_owner_gets_only_their_changes_once(tmp_path, listeners):
    mailbox = listeners
    feed = tmp_path / "feed"
    simulate(feed, start=FEED_END - timedelta(days=2), end=FEED_END, seed=7, orders_per_hour=5, anomaly_rate=0.05)
    email_block = "email-server-credentials/digest-test-finance"
    settings = write_settings(tmp_path / "settings.yaml", source={"kind": "folder", "folder": feed}, alerts={
        "block": "custom-webhook/digest-test-everyone", "min_severity": "medium",
        "owners": {WEBHOOK_OWNER: "custom-webhook/digest-test-warehouse", EMAIL_OWNER: email_block},
        "recipients": {email_block: ADDRESSES},
    })
    summary = hourly_reconciliation(window_start=WINDOW, settings_file=settings)

    # what each owner should hear about, read from the ledger directly
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    try:
        changed = con.execute(
            """
            select ledger.owner, events.event, events.exception_id[:12] from exceptions.ledger_events as events
            join exceptions.ledger as ledger using (exception_id)
            where events.run_id = ? and events.event in ('new', 'escalated', 'reopened')
              and events.severity in ('medium', 'high', 'critical')
            """,
            [summary.run_id],
        ).fetchall()
        outbox = con.execute("select owner, block, recipients, sent_at from audit.outbox").fetchall()
    finally:
        con.close()
    expected: dict[str, set[str]] = {}
    for owner, _, exception_id in changed:
        expected.setdefault(owner, set()).add(exception_id)
    assert {EMAIL_OWNER, WEBHOOK_OWNER} <= expected.keys() and len(expected) > 2, expected.keys()
    assert sorted(owner for owner, *_ in outbox) == sorted(expected)  # one digest per owner with changes
    assert all(sent is not None for *_, sent in outbox)

    def check(owner: str, subject: str, body: str) -> None:
        assert f" for {owner}: " in subject
        listed = ids_in(body)
        assert listed <= expected[owner] and len(listed) == min(50, len(expected[owner])), owner
        for event in ("new", "escalated", "reopened"):
            count = sum(1 for o, e, _ in changed if o == owner and e == event)
            assert (f"{count} {event}" in subject) == (count > 0), subject

    # the email owner: one message, to the block's addresses, their exceptions only
    assert len(mailbox.received) == 1
    recipients, message = mailbox.received[0]
    assert sorted(recipients) == sorted(ADDRESSES)
    check(EMAIL_OWNER, message["Subject"], message.get_payload(decode=True).decode())
    # the webhook owner on their hook, everyone else on the catch-all, each once
    by_path: dict[str, list[dict]] = {}
    for path, payload in Hooks.received:
        by_path.setdefault(path, []).append(payload)
    assert len(by_path["/warehouse"]) == 1
    check(WEBHOOK_OWNER, by_path["/warehouse"][0]["subject"], by_path["/warehouse"][0]["body"])
    others = {owner for owner in expected if owner not in (EMAIL_OWNER, WEBHOOK_OWNER)}
    assert len(by_path["/everyone"]) == len(others)
    for payload in by_path["/everyone"]:
        owner = re.search(r" for (\S+): ", payload["subject"]).group(1)
        assert owner in others
        others.discard(owner)
        check(owner, payload["subject"], payload["body"])
    assert not others

    # the same window again: nothing changed, nothing sent
    sent = (len(mailbox.received), len(Hooks.received))
    rerun = hourly_reconciliation(window_start=WINDOW, settings_file=settings)
    assert rerun.events == {} and (len(mailbox.received), len(Hooks.received)) == sent


def test_an_owner_with_no_block_and_no_catch_all_gets_nothing(tmp_path):
    from retaguarda.settings import load_settings

    settings = load_settings(write_settings(tmp_path / "s.yaml", alerts={
        "block": None, "owners": {EMAIL_OWNER: "custom-webhook/finance"}}))
    assert settings.alerts.block_for(EMAIL_OWNER) == "custom-webhook/finance"
    assert settings.alerts.block_for(WEBHOOK_OWNER) is None

