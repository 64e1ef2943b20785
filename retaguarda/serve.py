"""`retaguarda serve`: the reports folder over HTTP, read-only, for a browser on this machine.

Only files inside the folder are served: a path that leaves it (`..`, a symbolic link out)
is 404, and only the folder itself is listed, so past reports can be found.
"""

from __future__ import annotations

import os
import socket
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

DEFAULT_HOST = "127.0.0.1"  # loopback: the reports name orders and customers
DEFAULT_PORT = 8765


class ReportsHandler(SimpleHTTPRequestHandler):
    """GET and HEAD of the files under one folder; anything else is refused by the base class (501)."""

    server_version = "retaguarda-serve"

    def __init__(self, *args, directory: str, **kwargs) -> None:
        self.root = Path(directory).resolve()
        super().__init__(*args, directory=str(self.root), **kwargs)

    def send_head(self):
        # translate_path drops `..` segments; resolving catches symbolic links that point out
        target = Path(self.translate_path(self.path)).resolve()
        if target != self.root and self.root not in target.parents:
            self.send_error(HTTPStatus.NOT_FOUND, "not in the reports folder")
            return None
        if target.is_dir() and target != self.root and not (target / "index.html").is_file():
            self.send_error(HTTPStatus.NOT_FOUND, "only the reports folder is listed")
            return None
        return super().send_head()

    def end_headers(self) -> None:
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Cache-Control", "no-cache")  # latest.html changes every run
        super().end_headers()


def reports_server(folder: Path, host: str = DEFAULT_HOST, port: int = DEFAULT_PORT) -> ThreadingHTTPServer:
    """A server bound to host:port (port 0: any free one); call serve_forever() on it."""
    if not folder.is_dir():
        raise FileNotFoundError(f"no reports folder at {folder}: run `retaguarda run` or `retaguarda report` first")
    server_class = _IPv6Server if ":" in host else ThreadingHTTPServer
    return server_class((host, port), partial(ReportsHandler, directory=os.fspath(folder)))


class _IPv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


def latest_url(server: ThreadingHTTPServer) -> str:
    from report.build import LATEST  # here: the report's modules take seconds to import

    host, port = server.server_address[:2]
    shown = f"[{host}]" if ":" in str(host) else host
    return f"http://{shown}:{port}/{LATEST}"
