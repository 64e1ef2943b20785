"""`retaguarda serve`: a real server on loopback serves the reports folder and nothing outside it."""

from __future__ import annotations

import http.client
import os
import re
import signal
import subprocess
import sys
import threading
import urllib.request
from pathlib import Path

import pytest

from report.build import LATEST
from retaguarda.cli import NOT_FOUND, main
from retaguarda.serve import latest_url, reports_server

LATEST_HTML = "<!doctype html><title>latest</title><p>R$ 608.221,79 at risk</p>"


@pytest.fixture
def reports(tmp_path: Path) -> Path:
    """A reports folder, a secret beside it, a subfolder without an index, and a link out."""
    folder = tmp_path / "reports"
    folder.mkdir()
    (folder / LATEST).write_text(LATEST_HTML)
    (folder / "report-20261123T1500Z.html").write_text("<p>past</p>")
    (folder / "private").mkdir()
    (folder / "private" / "notes.txt").write_text("inside, but not listed")
    (tmp_path / "secret.txt").write_text("outside the reports folder")
    (folder / "out").symlink_to(tmp_path)
    return folder


@pytest.fixture
def server(reports: Path):
    served = reports_server(reports, "127.0.0.1", 0)
    thread = threading.Thread(target=served.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield served
    served.shutdown()
    served.server_close()


def _get(server, path: str, method: str = "GET") -> tuple[int, bytes]:
    """A raw request: the path goes out as written, `..` and all."""
    connection = http.client.HTTPConnection(*server.server_address[:2], timeout=10)
    try:
        connection.request(method, path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def test_it_serves_the_latest_report(server, reports):
    url = latest_url(server)
    assert url == f"http://127.0.0.1:{server.server_address[1]}/{LATEST}"
    with urllib.request.urlopen(url, timeout=10) as response:
        assert response.status == 200 and response.read() == (reports / LATEST).read_bytes()
    assert _get(server, "/report-20261123T1500Z.html") == (200, b"<p>past</p>")
    assert _get(server, "/private/notes.txt") == (200, b"inside, but not listed")


@pytest.mark.parametrize("path", [
    "/../secret.txt", "/%2e%2e/secret.txt", "/..%2fsecret.txt", "/private/../../secret.txt", "/out/secret.txt",
    "/out/", "/private/", "/nothing.html",
])
def test_nothing_outside_the_folder_and_no_listing_of_other_folders(server, path):
    status, body = _get(server, path)
    assert status == 404 and b"outside the reports folder" not in body


def test_it_lists_only_the_reports_folder_and_only_reads(server):
    status, body = _get(server, "/")
    assert status == 200 and b"report-20261123T1500Z.html" in body
    assert _get(server, "/latest.html", "POST")[0] == 501
    assert _get(server, "/latest.html", "PUT")[0] == 501


def test_the_command_prints_the_latest_url_and_serves_it(reports):
    command = [sys.executable, "-m", "retaguarda.cli", "serve", "--port", "0", "--dir", str(reports)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        line = process.stdout.readline()
        url = re.search(r"http://127\.0\.0\.1:\d+/latest\.html", line)
        assert url, line
        with urllib.request.urlopen(url.group(0), timeout=10) as response:
            assert response.read().decode() == LATEST_HTML
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=20)
    assert process.returncode == 0


def test_a_missing_folder_is_not_found(tmp_path, capsys):
    assert main(["serve", "--dir", str(tmp_path / "none"), "--port", "0"]) == NOT_FOUND
    assert "no reports folder at" in capsys.readouterr().err
