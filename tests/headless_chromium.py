"""A small Chrome DevTools Protocol driver for Debian's chromium: enough to test a page from disk.

One websocket to the browser, one page attached in flat mode; events are kept so a test can
check what the page logged, threw, requested or tried to show.
"""

from __future__ import annotations

import base64
import itertools
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from websockets.sync.client import connect

CHROMIUM = "/usr/bin/chromium"
FLAGS = (
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-default-apps",
    "--remote-debugging-port=0",
)
MISSING = "headless Chromium not found at /usr/bin/chromium: install it with `apt-get install -y chromium`"


class BrowserError(RuntimeError):
    pass


class Page:
    def __init__(self, browser: Chromium, session_id: str) -> None:
        self._browser = browser
        self.session_id = session_id
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        return self._browser.send(method, params, self.session_id)

    def wait_for(self, method: str, timeout: float = 15) -> dict[str, Any]:
        seen = len(self.events)
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events[seen:]:
                if event["method"] == method:
                    return event["params"]
            seen = len(self.events)
            if time.monotonic() > deadline:
                raise BrowserError(f"no {method} within {timeout} s")
            self._browser.pump(deadline - time.monotonic())

    def open(self, path: Path) -> None:
        """Load a file and wait for its load event."""
        self.send("Page.navigate", url=path.resolve().as_uri())
        self.wait_for("Page.loadEventFired")

    def evaluate(self, expression: str) -> Any:
        reply = self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in reply:
            raise BrowserError(f"{expression!r} threw: {reply['exceptionDetails']}")
        return reply["result"].get("value")

    def screenshot(self, path: Path) -> Path:
        """The whole page as PNG."""
        size = self.send("Page.getLayoutMetrics")["cssContentSize"]
        shot = self.send(
            "Page.captureScreenshot", format="png", captureBeyondViewport=True,
            clip={"x": 0, "y": 0, "width": size["width"], "height": size["height"], "scale": 1},
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def of_kind(self, *methods: str) -> list[dict[str, Any]]:
        return [event["params"] for event in self.events if event["method"] in methods]


class Chromium:
    """A headless Chromium with its own throw-away profile; use as a context manager."""

    def __init__(self, width: int = 1440, height: int = 1000) -> None:
        if not Path(CHROMIUM).exists():
            raise BrowserError(MISSING)
        self.size = (width, height)
        self._ids = itertools.count(1)
        self._pages: dict[str, Page] = {}

    def __enter__(self) -> Chromium:
        self._profile = Path(tempfile.mkdtemp(prefix="retaguarda-chromium-"))
        self._process = subprocess.Popen(
            [CHROMIUM, *FLAGS, f"--user-data-dir={self._profile}", f"--window-size={self.size[0]},{self.size[1]}",
             "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        port_file = self._profile / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and len(port_file.read_text().splitlines()) >= 2):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.__exit__(None, None, None)
                raise BrowserError(f"Chromium did not start (exit code {self._process.returncode})")
            time.sleep(0.05)
        port, path = port_file.read_text().splitlines()[:2]
        self._socket = connect(f"ws://127.0.0.1:{port}{path}", max_size=None, open_timeout=10)
        return self

    def __exit__(self, *exc_info: object) -> None:
        socket = getattr(self, "_socket", None)
        if socket is not None:
            socket.close()
        self._process.terminate()
        try:
            self._process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        shutil.rmtree(self._profile, ignore_errors=True)

    def pump(self, timeout: float) -> dict[str, Any] | None:
        """Read one message; events go to their page."""
        try:
            message = json.loads(self._socket.recv(timeout=max(timeout, 0.01)))
        except TimeoutError:
            return None
        if "method" in message:
            page = self._pages.get(message.get("sessionId", ""))
            if page is not None:
                page.events.append(message)
                if message["method"] == "Page.javascriptDialogOpening":
                    # A dialog blocks the page; dismiss it so the test can report it instead of hanging.
                    self._socket.send(json.dumps({
                        "id": next(self._ids), "method": "Page.handleJavaScriptDialog",
                        "params": {"accept": False}, "sessionId": page.session_id,
                    }))
        return message

    def send(self, method: str, params: dict[str, Any] | None = None, session_id: str | None = None,
             timeout: float = 30) -> dict[str, Any]:
        message_id = next(self._ids)
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params or {}}
        if session_id:
            message["sessionId"] = session_id
        self._socket.send(json.dumps(message))
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            reply = self.pump(deadline - time.monotonic())
            if reply is not None and reply.get("id") == message_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply["result"]
        raise BrowserError(f"{method}: no answer within {timeout} s")

    def new_page(self) -> Page:
        """A blank tab watching its console, errors, dialogs and network requests."""
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        page = Page(self, session)
        self._pages[session] = page
        for domain in ("Page", "Runtime", "Log", "Network"):
            page.send(f"{domain}.enable")
        width, height = self.size
        page.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
        return page
