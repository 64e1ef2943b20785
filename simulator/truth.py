"""The ground truth with time: which (check, entity) pairs are open at an instant."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from pathlib import Path

from .timeworld import Anomaly


def _instant(text: str) -> int | None:
    if not text:
        return None
    return int(datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())


def read_truth(path: Path) -> list[Anomaly]:
    with Path(path).open(encoding="utf-8") as f:
        return [Anomaly(r["check_id"], r["entity_id"], _instant(r["visible_at"]) or 0, _instant(r["fixed_at"]))
                for r in csv.DictReader(f)]


def open_at(truth: list[Anomaly], t: datetime | int) -> set[tuple[str, str]]:
    """The (check, entity) pairs a correct run with window end t reports."""
    at = int(t.timestamp()) if isinstance(t, datetime) else t
    return {(a.check, a.entity) for a in truth
            if a.visible_at <= at and (a.fixed_at is None or at < a.fixed_at)}
