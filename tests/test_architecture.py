"""docs/architecture.md stays true: every file and folder its recipes and layers name exists."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGE = (ROOT / "docs" / "architecture.md").read_text()
# `a/b.py`, `warehouse/staging/*.sql`, `expectations/sql/<check_id>.sql`: paths in code spans.
PATHS = sorted({p for p in re.findall(r"`([a-z_]+/[A-Za-z0-9_./<>*-]*)`", PAGE)})


def _exists(path: str) -> bool:
    if "<" in path or "*" in path or "NNN" in path:  # a template: its folder must exist
        return (ROOT / path).parent.is_dir() if "/" in path.rstrip("/") else True
    return (ROOT / path).exists()


def test_the_page_names_paths():
    assert "expectations/sql/<check_id>.sql" in PATHS and "tasks/materialise.py" in PATHS


@pytest.mark.parametrize("path", PATHS)
def test_every_path_the_page_names_exists(path):
    assert _exists(path), f"docs/architecture.md names {path}, which does not exist"

