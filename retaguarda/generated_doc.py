"""Docs that hold a generated part between two marker lines, rewritten or checked by a command."""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path


def replace_between(text: str, begin: str, end: str, generated: str) -> str:
    """`text` with everything from `begin` to `end` (markers included) replaced by `generated`."""
    start, stop = text.index(begin), text.index(end) + len(end)
    return text[:start] + generated + text[stop:]


def write_or_check(doc: Path, updated: Callable[[str], str], module: str) -> int:
    """Rewrite `doc`; with --check only say whether it is stale (exit status 1)."""
    current = doc.read_text()
    if "--check" in sys.argv[1:]:
        if updated(current) != current:
            print(f"{doc} is stale: run uv run python -m {module}", file=sys.stderr)
            return 1
        return 0
    doc.write_text(updated(current))
    return 0
