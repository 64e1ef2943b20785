"""Feed text is never script: a real run over feeds with payloads in every text field, then every HTML page it wrote,
opened from disk in headless Chromium. No payload runs, nothing is requested, the browser reports nothing.

A payload that ran would set window.__pwned or call a loopback listener, which must stay silent.
"""

from __future__ import annotations

import csv
import io
import json
import re
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path

import pytest
from conftest import write_settings
from headless_chromium import chromium, watched_page
from report_page import SHOW_EVERYTHING

from flows.hourly_reconciliation import hourly_reconciliation
from simulator import simulate

FEED_END = datetime(2026, 11, 24, 16, 0, tzinfo=UTC)
FILES_PER_FEED = 3  # the first files of each feed get payloads in their first rows
ROWS_PER_FILE = 2
_NOT_TEXT = re.compile(r"^(-?\d+(\.\d+)?|\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?)$")


def payloads(port: int) -> list[str]:
    beacon = f"http://127.0.0.1:{port}/ran"
    return [
        f"<script>window.__pwned='script';fetch('{beacon}')</script>",
        f"<img src=x onerror=\"window.__pwned='img';fetch('{beacon}')\">",
        f"javascript:window.__pwned='url';fetch('{beacon}')",
        f"\"><svg onload=\"window.__pwned='svg';fetch('{beacon}')\">",
        "{{7*7}}${7*7}<%= 7*7 %>",
        f'=HYPERLINK("{beacon}","open me")',  # for the CSV files
    ]


class Poisoner:
    """Puts the payloads, in turn, into text values; a counter keeps keys unique.

    A row's first text value (its id, mostly) gets the formula, so exceptions about it carry one.
    """

    def __init__(self, port: int) -> None:
        self.payloads = payloads(port)
        self.count = 0
        self.formula_next = False

    def row(self, value):
        self.formula_next = True
        return self.tree(value) if not isinstance(value, list) else [self.text(cell) for cell in value]

    def text(self, value):
        if not isinstance(value, str) or not value or _NOT_TEXT.match(value):
            return value
        self.count += 1
        payload = self.payloads[-1 if self.formula_next else self.count % (len(self.payloads) - 1)]
        self.formula_next = False
        return f"{payload}#{self.count}"

    def tree(self, value):
        if isinstance(value, dict):
            return {key: self.tree(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.tree(item) for item in value]
        return self.text(value)


def poison_feed(feed: Path, poisoner: Poisoner) -> None:
    """Payloads in every text field of the first rows of the first files of each feed."""
    groups: dict[str, list[Path]] = {}
    for path in sorted(feed.rglob("*")):
        if path.is_file():
            groups.setdefault(re.sub(r"^\d+-", "", path.name) if path.suffix != ".json" else "orders", []).append(path)
    for paths in groups.values():
        poisoned = 0
        for path in paths:
            if poisoned == FILES_PER_FEED:
                break
            text = path.read_text(encoding="utf-8")
            if path.suffix == ".json":
                page = json.loads(text)
                if not page.get("orders"):
                    continue
                page["orders"][:ROWS_PER_FILE] = [poisoner.row(order) for order in page["orders"][:ROWS_PER_FILE]]
                path.write_text(json.dumps(page), encoding="utf-8")
            elif path.suffix == ".jsonl":
                lines = text.splitlines()
                lines[:ROWS_PER_FILE] = [json.dumps(poisoner.row(json.loads(line))) for line in lines[:ROWS_PER_FILE]]
                path.write_text("\n".join(lines) + "\n", encoding="utf-8")
            else:
                rows = list(csv.reader(io.StringIO(text)))
                if len(rows) < 2:
                    continue
                rows[1:1 + ROWS_PER_FILE] = [poisoner.row(row) for row in rows[1:1 + ROWS_PER_FILE]]
                out = io.StringIO()
                csv.writer(out, lineterminator="\n").writerows(rows)
                path.write_text(out.getvalue(), encoding="utf-8")
            poisoned += 1


@pytest.fixture
def listener():
    """A loopback HTTP server counting the requests it gets."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the name http.server calls)
            hits.append(self.path)
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], hits
    server.shutdown()


def test_no_feed_text_runs_as_script_on_any_page_the_run_writes(tmp_path, listener, prefect_server):
    port, hits = listener
    simulate(tmp_path / "feed", start=FEED_END - timedelta(days=2), end=FEED_END, seed=5, orders_per_hour=4,
             anomaly_rate=0.05)
    poisoner = Poisoner(port)
    poison_feed(tmp_path / "feed", poisoner)
    assert poisoner.count > 50  # every feed got some
    settings = write_settings(tmp_path / "settings.yaml", source={"kind": "folder", "folder": tmp_path / "feed"})
    summary = hourly_reconciliation(window_start=FEED_END - timedelta(hours=1), settings_file=settings)
    assert summary.published

    pages = sorted((tmp_path / "reports").rglob("*.html"))
    assert len([p for p in pages if p.parent.name == "reports"]) == 2  # the window's report and latest.html
    assert len(pages) > 5  # and the validation pages with their index
    shown = ""
    with chromium() as browser:
        for path in pages:
            page = watched_page(browser)
            page.open(path)
            page.evaluate(SHOW_EVERYTHING)  # the report draws its list and details from data: every row, opened
            page.page.wait_for_timeout(200)  # a handler that fires late would fire by now
            assert page.evaluate("window.__pwned === undefined"), (path, page.evaluate("window.__pwned"))
            assert page.requests == [path.resolve().as_uri()], path
            complaints = [f"{m.type}: {m.text}" for m in page.console if m.type in ("error", "warning")]
            assert complaints + page.errors + page.dialogs == [], path
            shown += page.evaluate("document.body.innerText")
    assert hits == []
    # the payloads reached the pages, shown as text
    assert all(payload in shown for payload in poisoner.payloads[:4])
    assert "{{7*7}}" in shown

    # The report's CSV download and the run's open_exceptions.csv defuse the same cells the same way.
    with chromium() as browser:
        page = watched_page(browser)
        page.open(tmp_path / "reports" / "latest.html")
        downloaded = list(csv.DictReader(io.StringIO(page.evaluate("window.retaguardaReport.csv('open')"))))
    with (tmp_path / "exports" / "open_exceptions.csv").open(newline="") as file:
        exported = list(csv.DictReader(file))
    assert sorted(row["entity_id"] for row in downloaded) == sorted(row["entity_id"] for row in exported)
    assert any(row["entity_id"].startswith("'=HYPERLINK") for row in exported)
    assert not any(row[column].startswith(("=", "+", "@")) for row in exported + downloaded for column in row
                   if row[column])
