"""CSV cells a spreadsheet will not run: the one rule for every CSV the product writes.

Text starting with one of FORMULA_STARTS is read as a formula by Excel, LibreOffice and
Sheets (`=HYPERLINK(...)`, `=cmd|...`); a leading apostrophe makes it plain text. The
report's script gets FORMULA_STARTS from the page, so its CSV download follows the same rule.
"""

from __future__ import annotations

from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def defuse(value: Any) -> Any:
    """`value`, with text that would run as a formula made inert; other values as they are."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
