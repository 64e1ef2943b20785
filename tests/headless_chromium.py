"""Debian's chromium driven by Playwright, offline: no browser download, no network.

A watched page keeps what the page logged, threw, requested or tried to show, so a test can
assert there was none of it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from playwright.sync_api import Browser, ConsoleMessage, Dialog, Page, Request, sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
MISSING = "headless Chromium not found at /usr/bin/chromium: install it with `make browser`"
VIEWPORT = {"width": 1440, "height": 1000}


@contextmanager
def chromium() -> Iterator[Browser]:
    """A headless Chromium with a throw-away profile."""
    if not Path(CHROMIUM).exists():
        raise RuntimeError(MISSING)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class WatchedPage:
    page: Page
    console: list[ConsoleMessage] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)  # uncaught exceptions
    dialogs: list[str] = field(default_factory=list)  # alert, confirm, prompt: dismissed and kept
    requests: list[str] = field(default_factory=list)

    def open(self, path: Path) -> None:
        """Load a file and wait for its load event."""
        self.page.goto(path.resolve().as_uri(), wait_until="load")

    def evaluate(self, expression: str):
        return self.page.evaluate(expression)

    def screenshot(self, path: Path) -> Path:
        """The whole page as PNG."""
        path.parent.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(path), full_page=True)
        return path


def watched_page(browser: Browser) -> WatchedPage:
    """A blank tab in its own context, watching its console, errors, dialogs and requests."""
    page = browser.new_context(viewport=VIEWPORT, accept_downloads=True).new_page()
    watched = WatchedPage(page)

    def on_dialog(dialog: Dialog) -> None:
        watched.dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()  # a dialog blocks the page; report it instead of hanging

    def on_request(request: Request) -> None:
        watched.requests.append(request.url)

    page.on("console", lambda message: watched.console.append(message))
    page.on("pageerror", lambda error: watched.errors.append(str(error)))
    page.on("dialog", on_dialog)
    page.on("request", on_request)
    return watched
