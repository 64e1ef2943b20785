"""One exception explained: its check, evidence, input rows, lifecycle and the check's recent history.

Reads the reader copy's `exceptions.*` and `published.*` (SQL in report/sql/explain_*.sql) and
the check catalog; returns plain dicts, lists and values (datetimes, Decimals) that the CLI
prints as text or JSON and the report can render.
"""

from __future__ import annotations

import json
import re
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

import duckdb

from expectations.catalog import SQL_DIR as CHECK_SQL_DIR
from expectations.catalog import Check, all_checks
from report.i18n import Translator

SQL_DIR = Path(__file__).resolve().parent / "sql"
ROOT = SQL_DIR.parent.parent
# DuckDB writes a timestamptz into JSON as `2026-11-26 10:00:00+00`.
_JSON_TIMESTAMP = re.compile(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(\.\d+)?[+-]\d{2}(:?\d{2})?$")


class ExplainError(LookupError):
    """No exception, or several, answer to the id given; the message says which."""


class UnknownException(ExplainError):
    pass


class AmbiguousException(ExplainError):
    pass


@cache
def _sql(name: str) -> str:
    return (SQL_DIR / f"explain_{name}.sql").read_text()


def _records(con: duckdb.DuckDBPyConnection, name: str, **params: Any) -> list[dict[str, Any]]:
    cursor = con.execute(_sql(name), params)
    columns = [d[0] for d in cursor.description]
    return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def find_exception(con: duckdb.DuckDBPyConnection, id_or_prefix: str) -> str:
    """The one ledger exception whose id starts with `id_or_prefix`."""
    prefix = id_or_prefix.strip().lower()
    matches = [row["exception_id"] for row in _records(con, "match", prefix=prefix)] if prefix else []
    if not matches:
        raise UnknownException(f"no exception in the ledger has an id starting with {id_or_prefix!r}")
    if len(matches) > 1:
        shown = ", ".join(m[: max(12, len(prefix) + 1)] for m in matches[:2])
        raise AmbiguousException(
            f"several exceptions have an id starting with {id_or_prefix!r} ({shown}, ...): give more characters"
        )
    return matches[0]


def _value(value: Any) -> Any:
    """An evidence value as Python: JSON timestamps become datetimes."""
    if isinstance(value, str) and _JSON_TIMESTAMP.match(value):
        return datetime.fromisoformat(value)
    return value


_LABELS = Translator("en")  # the CLI speaks English, as the report's labels do


def _evidence(text: str | None) -> list[dict[str, Any]]:
    if not text:
        return []
    try:
        parsed = json.loads(text)
    except ValueError:
        parsed = {"evidence": text}
    if not isinstance(parsed, dict):
        parsed = {"evidence": parsed}
    return [{"field": key, "label": _LABELS.field(key), "value": _value(value)} for key, value in parsed.items()]


def _check(check_id: str, configured: dict[str, Any]) -> dict[str, Any]:
    """The check as the catalog defines it, with severity and owner as last published."""
    found: Check | None = next((check for check in all_checks() if check.id == check_id), None)
    return {
        "id": check_id,
        "stage": found.stage if found else configured["stage"],
        "entity": found.entity if found else configured["entity_type"],
        "severity": configured["check_severity"] or (found.severity if found else None),
        "owner": configured["check_owner"] or (found.owner if found else None),
        "catches": found.catches if found else configured["check_catches"],
        "offends_when": found.header("offends when") if found else None,
        "began_at": found.header("began_at") if found else None,
        "needs": list(found.needs) if found else [],
        # None for a check this release no longer has
        "sql_file": str((CHECK_SQL_DIR / f"{check_id}.sql").relative_to(ROOT)) if found else None,
        "sql": found.sql if found else None,
    }


def explain(con: duckdb.DuckDBPyConnection, exception_id: str) -> dict[str, Any]:
    """Everything known about one ledger exception (its full id, see `find_exception`)."""
    rows = _records(con, "exception", exception_id=exception_id)
    if not rows:
        raise UnknownException(f"no exception {exception_id!r} in the ledger")
    row = rows[0]
    exception = {key: value for key, value in row.items() if not key.startswith("check_") and key != "evidence"}
    exception["check_id"] = row["check_id"]
    return {
        "exception": exception,
        "check": _check(row["check_id"], row),
        "evidence": _evidence(row["evidence"]),
        "lineage": _records(con, "lineage", exception_id=exception_id),
        "events": _records(con, "events", exception_id=exception_id),
        "actions": _records(con, "actions", exception_id=exception_id),
        "history": _records(con, "history", check_id=row["check_id"]),
    }
