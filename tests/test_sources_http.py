"""The orders API source against a real HTTP server on loopback that paginates, fails and rate-limits."""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from conftest import AS_OF, rows

from sources.http import HttpSourceError
from sources.mapping import load_mapping
from sources.state import high_water_mark
from tasks.extract import extract_new_input
from tasks.land import land_files
from warehouse.database import run_model

TOKEN = "s3cr3t-t0ken-never-logged"
MAX_REQUESTS = 60  # the server refuses anything past this: a runaway client fails the test


def order(number: int, updated_at: str, status: str = "paid") -> dict:
    return {
        "order_id": f"O-{number:04d}", "channel": "web", "customer_id": "C-1", "placed_at": "2026-11-20T10:00:00Z",
        "status": status, "currency": "BRL", "total_amount": "10.00", "updated_at": updated_at,
        "ship_to": {"country": "BR", "region": "SP", "postcode": "01310-100"},
        "lines": [{"line_no": 1, "sku": "SKU-1", "quantity": 1, "unit_price": "10.00"}],
        "payments": [],
    }


class ShopApi:
    """The shop's orders endpoint: filter by updated_since, paginate, and misbehave on cue."""

    def __init__(self, orders: list[dict], pagination: str = "page", page_size: int = 2) -> None:
        self.orders, self.pagination, self.page_size = orders, pagination, page_size
        self.faults: dict[int, str] = {}  # request number -> "500", "429", "slow", "cut"
        self.link_base: str | None = None  # where next-page links point (default: this endpoint)
        self.requests: list[tuple[float, str, str | None]] = []  # (time, path, Authorization)
        self.lock = threading.Lock()

    def page(self, query: dict[str, str], base: str) -> tuple[dict, dict[str, str]]:
        since = query.get("updated_since")
        chosen = sorted(
            (o for o in self.orders if since is None or o["updated_at"] >= since), key=lambda o: o["updated_at"]
        )
        if self.pagination == "cursor":
            start = int(query.get("cursor", "0"))
        else:
            start = (int(query.get("page", "1")) - 1) * self.page_size
        items, more = chosen[start : start + self.page_size], start + self.page_size < len(chosen)
        if self.pagination == "cursor":
            return {"data": {"orders": items}, "next_cursor": str(start + self.page_size) if more else None}, {}
        number = start // self.page_size + 1
        headers = {}
        if self.pagination == "link" and more:
            headers["Link"] = f'<{self.link_base or base}?page={number + 1}&updated_since={since or ""}>; rel="next"'
        return {"page": number, "next_page": number + 1 if more else None, "orders": items}, headers


class Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        api: ShopApi = self.server.api
        with api.lock:
            api.requests.append((time.monotonic(), self.path, self.headers.get("Authorization")))
            number = len(api.requests)
        fault = api.faults.get(number)
        if number > MAX_REQUESTS:
            return self.reply(503, b"too many requests in this test")
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            return self.reply(401, b'{"error": "unauthorized"}')
        if fault == "500":
            return self.reply(500, b"internal error")
        if fault == "429":
            return self.reply(429, b"slow down", {"Retry-After": "1"})
        if fault == "slow":
            time.sleep(1.0)  # past the client's time-out
        parts = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items() if v[0]}
        body, headers = api.page(query, parts.path)
        data = json.dumps(body).encode()
        self.reply(200, data[: len(data) // 2] if fault == "cut" else data, headers)

    def reply(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up waiting (the time-out case)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - quiet test output
        pass


@pytest.fixture
def serve():
    servers = []

    def start(api: ShopApi) -> str:
        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        server.api = api
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/api/orders"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def mapping(tmp_path: Path, url: str, pagination: str, max_rejected_pct: float = 5, **http: object) -> Path:
    paginations = {
        "page": "{kind: page, param: page, next: next_page}",
        "cursor": "{kind: cursor, param: cursor, next: next_cursor}",
        "link": "{kind: link}",
    }
    records = "data.orders" if pagination == "cursor" else "orders"
    settings = {"timeout_seconds": 0.5, "max_attempts": 4, "backoff_seconds": 0.05, **http}
    path = tmp_path / "mapping.yaml"
    path.write_text(
        f"max_rejected_pct: {max_rejected_pct}\n"
        "sources:\n  - name: shop-api\n    table: orders\n    order_lines: {}\n    payments: {}\n    http:\n"
        f"      url: {url}\n      records: {records}\n      pagination: {paginations[pagination]}\n"
        "      incremental: {param: updated_since, lookback_minutes: 30}\n"
        "      auth: {env: SHOP_API_TOKEN}\n"
        + "".join(f"      {key}: {value}\n" for key, value in settings.items())
    )
    return path


def pull(con, mapping_path: Path, run_id: str = "run-1") -> int:
    """One run's extract and land steps for the orders feed; the rows loaded."""
    source_mapping = load_mapping(mapping_path)
    files = extract_new_input(con, source_mapping, "orders")
    return land_files(con, files, run_id, AS_OF, source_mapping.max_rejected_pct)


@pytest.fixture(autouse=True)
def token(monkeypatch):
    monkeypatch.setenv("SHOP_API_TOKEN", TOKEN)


@pytest.mark.parametrize("pagination", ["page", "cursor", "link"])
def test_every_page_is_pulled(warehouse, tmp_path, serve, pagination):
    api = ShopApi([order(n, f"2026-11-20T1{n}:00:00Z") for n in range(5)], pagination)
    assert pull(warehouse, mapping(tmp_path, serve(api), pagination)) == 5
    assert len(api.requests) == 3  # pages of 2, 2 and 1
    assert all(auth == f"Bearer {TOKEN}" for _, _, auth in api.requests)
    assert rows(warehouse, "select count(*), count(distinct _file) from raw.orders") == [(5, 3)]
    assert rows(warehouse, "select count(*) from raw.order_lines") == [(5,)]
    assert rows(warehouse, "select source, rows_in, rows_loaded, rows_rejected from audit.batches") == [
        ("shop-api", 5, 5, 0),
    ]


def test_time_outs_5xx_cut_bodies_and_429_are_retried(warehouse, tmp_path, serve, caplog):
    api = ShopApi([order(n, f"2026-11-20T1{n}:00:00Z") for n in range(5)])
    api.faults = {1: "500", 3: "429", 5: "slow", 6: "cut"}
    with caplog.at_level(logging.DEBUG):
        assert pull(warehouse, mapping(tmp_path, serve(api), "page")) == 5
    assert len(api.requests) == 3 + 4  # three pages, four failures
    waited_for_429 = api.requests[3][0] - api.requests[2][0]
    assert waited_for_429 >= 0.95  # Retry-After: 1 was honoured over the 0.05 s backoff
    assert rows(warehouse, "select count(distinct order_id) from raw.orders") == [(5,)]
    assert "HTTP 429; attempt 1 of 4" in caplog.text and "no answer within 0.5 s" in caplog.text
    assert TOKEN not in caplog.text


def test_an_api_that_keeps_failing_stops_the_run_and_lands_nothing(warehouse, tmp_path, serve):
    api = ShopApi([order(1, "2026-11-20T10:00:00Z")])
    api.faults = {n: "500" for n in range(1, 10)}
    with pytest.raises(HttpSourceError) as caught:
        pull(warehouse, mapping(tmp_path, serve(api), "page"))
    assert "/api/orders?page=1: gave up after 4 attempts; last: HTTP 500" in str(caught.value)
    assert len(api.requests) == 4
    assert rows(warehouse, "select count(*) from audit.batches") == [(0,)]
    assert high_water_mark(warehouse, "shop-api") is None


def test_bad_credentials_are_not_retried_and_never_shown(warehouse, tmp_path, serve, monkeypatch, caplog):
    monkeypatch.setenv("SHOP_API_TOKEN", "wrong-" + TOKEN)
    api = ShopApi([order(1, "2026-11-20T10:00:00Z")])
    with caplog.at_level(logging.DEBUG), pytest.raises(HttpSourceError) as caught:
        pull(warehouse, mapping(tmp_path, serve(api), "page"))
    assert "HTTP 401 Unauthorized, not retried; check the credentials" in str(caught.value)
    assert len(api.requests) == 1
    assert TOKEN not in str(caught.value) + caplog.text
    monkeypatch.delenv("SHOP_API_TOKEN")
    with pytest.raises(HttpSourceError, match="environment variable SHOP_API_TOKEN is not set"):
        pull(warehouse, mapping(tmp_path, serve(api), "page"))


def test_a_link_to_another_host_is_not_followed(warehouse, tmp_path, serve):
    api = ShopApi([order(n, f"2026-11-20T1{n}:00:00Z") for n in range(3)], "link")
    url = serve(api)
    api.link_base = url.replace("127.0.0.1", "localhost")
    with pytest.raises(HttpSourceError, match="the next-page link leaves the API"):
        pull(warehouse, mapping(tmp_path, url, "link"))
    assert len(api.requests) == 1  # the credentials never went to the other host


def test_incremental_pulls_use_the_high_water_mark_and_its_lookback(warehouse, tmp_path, serve):
    api = ShopApi([order(n, f"2026-11-20T1{n}:00:00Z") for n in range(4)])
    path = mapping(tmp_path, serve(api), "page")
    assert pull(warehouse, path) == 4
    assert high_water_mark(warehouse, "shop-api") == datetime(2026, 11, 20, 13, 0, tzinfo=UTC)

    # O-0001 changes; O-0009 was written late, 20 minutes before the mark; O-0002 is old news
    api.orders += [order(1, "2026-11-20T14:30:00Z", "shipped"), order(9, "2026-11-20T12:40:00Z")]
    first_pull = len(api.requests)
    assert pull(warehouse, path, "run-2") == 3  # O-0003 (at the mark) comes again, within the lookback
    assert parse_qs(urlsplit(api.requests[first_pull][1]).query)["updated_since"] == ["2026-11-20T12:30:00Z"]
    assert high_water_mark(warehouse, "shop-api") == datetime(2026, 11, 20, 14, 30, tzinfo=UTC)

    run_model(warehouse, "staging", "orders")
    assert rows(warehouse, "select order_id, status from staging.orders order by 1") == [
        ("O-0000", "paid"), ("O-0001", "shipped"), ("O-0002", "paid"), ("O-0003", "paid"), ("O-0009", "paid"),
    ]
    assert rows(warehouse, "select count(*) from raw.orders") == [(7,)]  # re-deliveries land, staging keeps one

    assert pull(warehouse, path, "run-3") == 1  # O-0001 again, within the lookback of its own mark
    assert pull(warehouse, path, "run-4") == 0  # the very same page again: that batch is landed already
    assert rows(warehouse, "select count(*) from audit.batches") == [(3,)]
    run_model(warehouse, "staging", "orders")
    assert rows(warehouse, "select count(*) from staging.orders") == [(5,)]


def test_bad_records_from_the_api_are_quarantined(warehouse, tmp_path, serve):
    broken = order(2, "2026-11-20T12:00:00Z", "lost in the mail")
    api = ShopApi([order(1, "2026-11-20T11:00:00Z"), broken, order(3, "not a date")], page_size=10)
    assert pull(warehouse, mapping(tmp_path, serve(api), "page", max_rejected_pct=70)) == 1
    assert rows(warehouse, "select _row_number, reason, _file like '%page=1%' from raw.quarantine order by 1") == [
        (2, "unknown_value", True), (3, "wrong_type", True),
    ]
    assert high_water_mark(warehouse, "shop-api") == datetime(2026, 11, 20, 11, 0, tzinfo=UTC)


def test_credentials_from_a_prefect_secret_block(warehouse, tmp_path, serve, monkeypatch, prefect_server):
    from prefect.blocks.system import Secret

    Secret(value=TOKEN).save("shop-api-token", overwrite=True)
    monkeypatch.delenv("SHOP_API_TOKEN")
    api = ShopApi([order(1, "2026-11-20T10:00:00Z")])
    path = mapping(tmp_path, serve(api), "page")
    path.write_text(path.read_text().replace("{env: SHOP_API_TOKEN}", "{secret_block: shop-api-token}"))
    assert pull(warehouse, path) == 1
    assert api.requests[0][2] == f"Bearer {TOKEN}"
