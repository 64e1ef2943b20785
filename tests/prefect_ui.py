"""The Prefect UI for the test server, served in this process.

The server `prefect_test_harness` starts does not serve the UI: Prefect starts it with
PREFECT_UI_ENABLED=0 (prefect/server/api/server.py, SubprocessASGIServer). The UI is a
static app in the prefect wheel that calls the API from the browser, so an app serving only
the UI, pointed at the test server's API, shows that server's runs.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import prefect.settings as prefect_settings
import uvicorn


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def prefect_ui(static_dir: Path) -> Iterator[str]:
    """The UI's base URL, for the API in the current settings (the test server's)."""
    from prefect.server.api.server import create_ui_app

    api_url = prefect_settings.PREFECT_API_URL.value()
    assert api_url, "no Prefect API: use the prefect_server fixture"
    updates = {prefect_settings.PREFECT_UI_API_URL: api_url,
               prefect_settings.PREFECT_UI_STATIC_DIRECTORY: str(static_dir)}  # the UI is copied there
    with prefect_settings.temporary_settings(updates=updates):
        app = create_ui_app(ephemeral=False)
        port = _free_port()
        server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 60
        while not server.started:
            assert thread.is_alive() and time.monotonic() < deadline, "the Prefect UI did not start"
            time.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            server.should_exit = True
            thread.join(timeout=10)
