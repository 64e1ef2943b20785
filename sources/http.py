"""Pull every page of a JSON API: pagination, an incremental cursor, retries, credentials.

The secret is only ever put in a request header: it is never part of a URL, a log line or
an error message.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from urllib.parse import urljoin, urlsplit

import httpx
from tenacity import RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

from sources.mapping import Auth, HttpSource
from sources.readers import dig

log = logging.getLogger(__name__)


class HttpSourceError(RuntimeError):
    """An API that could not be read; the message names the URL, never the credentials."""


@dataclass(frozen=True)
class Page:
    url: str
    body: bytes
    records: list


def credential_headers(auth: Auth | None) -> dict[str, str]:
    """The header carrying the secret, read from a Prefect Secret block or the environment."""
    if auth is None:
        return {}
    if auth.env is not None:
        secret = os.environ.get(auth.env)
        if not secret:
            raise HttpSourceError(f"environment variable {auth.env} is not set (the API credentials)")
    else:
        from prefect.blocks.system import Secret

        try:
            secret = str(Secret.load(auth.secret_block).get())
        except ValueError as exc:
            raise HttpSourceError(f"cannot load the Prefect Secret block {auth.secret_block!r}: {exc}") from exc
    return {auth.header: f"{auth.scheme} {secret}" if auth.scheme else secret}


def retry_after_seconds(response: httpx.Response) -> float | None:
    """Retry-After as seconds, given as a number or an HTTP date."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, (parsedate_to_datetime(value) - datetime.now(UTC)).total_seconds())
    except (TypeError, ValueError):
        return None


def _describe(url: str, params: dict) -> str:
    return str(httpx.URL(url, params=params or None))


class _Retryable(Exception):
    """A failure worth another attempt; `wait` is the server's Retry-After, if it sent one."""

    def __init__(self, problem: str, wait: float | None = None) -> None:
        super().__init__(problem)
        self.problem, self.wait = problem, wait


def _get_once(client: httpx.Client, url: str, params: dict, config: HttpSource, where: str) -> tuple:
    try:
        # no params at all for a next-page link: httpx would replace the link's own query
        response = client.get(url, params=params or None)
    except httpx.TimeoutException as exc:
        raise _Retryable(f"no answer within {config.timeout_seconds:g} s") from exc
    except httpx.TransportError as exc:
        raise _Retryable(f"connection failed ({type(exc).__name__})") from exc
    status = response.status_code
    if status == 429 or status >= 500:
        raise _Retryable(f"HTTP {status}", retry_after_seconds(response))
    if status >= 400:
        hint = "; check the credentials" if status in (401, 403) else ""
        raise HttpSourceError(f"{where}: HTTP {status} {response.reason_phrase}, not retried{hint}")
    try:
        return response, json.loads(response.content)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise _Retryable("the body is not JSON (cut off?)") from exc


def _retrying(config: HttpSource, where: str, sleep: Callable[[float], None]) -> Retrying:
    """Exponential backoff, or the server's Retry-After when it gives one, never past max_backoff_seconds."""
    backoff = wait_exponential(multiplier=config.backoff_seconds, exp_base=2, max=config.max_backoff_seconds)

    def wait(state: RetryCallState) -> float:
        asked = state.outcome.exception().wait
        return backoff(state) if asked is None else min(asked, config.max_backoff_seconds)

    def announce(state: RetryCallState) -> None:
        problem = state.outcome.exception().problem
        log.warning("%s: %s; attempt %d of %d, next in %.1f s",
                    where, problem, state.attempt_number, config.max_attempts, state.upcoming_sleep)

    def give_up(state: RetryCallState) -> None:
        problem = state.outcome.exception().problem
        raise HttpSourceError(f"{where}: gave up after {state.attempt_number} attempts; last: {problem}")

    return Retrying(
        retry=retry_if_exception_type(_Retryable), stop=stop_after_attempt(config.max_attempts), wait=wait,
        sleep=sleep, before_sleep=announce, retry_error_callback=give_up,
    )


def get_json(
    client: httpx.Client, url: str, params: dict, config: HttpSource, sleep: Callable[[float], None] = time.sleep
) -> tuple[httpx.Response, object]:
    """GET and parse JSON, retrying time-outs, connection errors, 5xx, 429 and cut-off bodies."""
    where = _describe(url, params)
    return _retrying(config, where, sleep)(_get_once, client, url, params, config, where)


def fetch_pages(
    config: HttpSource, since: datetime | None, *, sleep: Callable[[float], None] = time.sleep
) -> list[Page]:
    """Every page of one pull, following the configured pagination."""
    params: dict = dict(config.params)
    if config.incremental is not None and since is not None:
        params[config.incremental.param] = since.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    pagination = config.pagination
    if pagination.kind == "page":
        params[pagination.param] = pagination.start
    origin = urlsplit(config.url)[:2]
    url, pages, cursors = config.url, [], set()
    with httpx.Client(headers=credential_headers(config.auth), timeout=config.timeout_seconds) as client:
        for _ in range(config.max_pages):
            response, document = get_json(client, url, params, config, sleep)
            records = dig(document, config.records) if config.records else document
            if not isinstance(records, list):
                at = f"at {config.records!r}" if config.records else "at the top (set records:)"
                raise HttpSourceError(f"{_describe(url, params)}: no list of records {at}")
            pages.append(Page(str(response.url), response.content, records))
            if pagination.kind == "none":
                return pages
            if pagination.kind == "link":
                following = response.links.get("next", {}).get("url")
                if not following:
                    return pages
                url, params = urljoin(str(response.url), following), {}
                if urlsplit(url)[:2] != origin:
                    raise HttpSourceError(f"{config.url}: the next-page link leaves the API ({url}); not followed")
                continue
            following = dig(document, pagination.next) if pagination.next else None
            if pagination.kind == "page" and not pagination.next:
                if not records:
                    return pages
                following = params[pagination.param] + 1
            if following in (None, ""):
                return pages
            if following in cursors:
                raise HttpSourceError(f"{config.url}: the API repeats {pagination.param}={following}; stopped")
            cursors.add(following)
            params[pagination.param] = following
    raise HttpSourceError(f"{config.url}: more than max_pages={config.max_pages} pages in one pull")


def pull_sha256(pages: list[Page]) -> str:
    """The identity of one pull: the same pages again are a batch already landed."""
    digest = hashlib.sha256()
    for page in pages:
        digest.update(len(page.body).to_bytes(8, "big"))
        digest.update(page.body)
    return digest.hexdigest()
