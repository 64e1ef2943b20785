"""Schema drift: a file's columns against the fields its mapping reads."""

from __future__ import annotations

from difflib import SequenceMatcher

RENAME_SIMILARITY = 0.6  # a missing and a new column this alike are reported as a rename


def _top(path: str, present: set[str]) -> str:
    return path if path in present else path.split(".")[0]


def _similarity(a: str, b: str) -> float:
    return SequenceMatcher(None, a.casefold(), b.casefold()).ratio()


def schema_drift(
    columns: list[str], expected: list[tuple[str, tuple[str, ...]]], known: set[str], *,
    report_missing: bool, report_new: bool,
) -> list[str]:
    """Missing, new and probably renamed columns, as sentences.

    `expected`: (what it is for, the alternative fields it comes from) for each field the
    mapping names; missing when none of the alternatives is there. `known`: every field the
    mapping may read, named or same-named.
    """
    present = set(columns)
    missing: dict[str, str] = {}  # column -> what it is for
    if report_missing:
        for purpose, alternatives in expected:
            tops = [_top(path, present) for path in alternatives]
            if not present & set(tops):
                missing.setdefault(tops[0], purpose)
    known_tops = {_top(path, present) for path in known}
    new = [column for column in columns if column not in known_tops] if report_new else []
    notes = []
    for column, purpose in missing.items():
        renamed = max(new, key=lambda candidate: _similarity(column, candidate), default=None)
        if renamed is not None and _similarity(column, renamed) >= RENAME_SIMILARITY:
            new.remove(renamed)
            notes.append(f"column {column!r} (for {purpose}) renamed to {renamed!r}?")
        else:
            notes.append(f"missing column {column!r} (for {purpose})")
    notes += [f"new column {column!r}" for column in new]
    return notes
