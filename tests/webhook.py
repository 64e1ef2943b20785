"""A real webhook endpoint on loopback behind a Prefect custom-webhook block: what alert tests post to."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer


@contextmanager
def webhook_block(name: str) -> Iterator[tuple[str, list[dict]]]:
    """Save block `name` posting {"subject", "body"} to a local listener; yield its reference and what arrives."""
    from prefect.blocks.notifications import CustomWebhookNotificationBlock

    received: list[dict] = []

    class Listener(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Listener)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        CustomWebhookNotificationBlock(
            name=name, url=f"http://127.0.0.1:{server.server_port}/hook",
            json_data={"subject": "{{subject}}", "body": "{{body}}"},
        ).save(name, overwrite=True)
        yield f"custom-webhook/{name}", received
    finally:
        server.shutdown()
