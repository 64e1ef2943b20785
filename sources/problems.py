"""Why an input row is quarantined: a stable reason code and a sentence naming the value."""

from __future__ import annotations

from typing import NamedTuple

UNREADABLE_FILE = "unreadable_file"  # the whole file cannot be parsed: it counts as one row
MALFORMED_ROW = "malformed_row"  # a CSV row with the wrong number of fields, a line that is not JSON
TRUNCATED_ROW = "truncated_row"  # the last row of a file cut short (a gzip stream that ends early)
MISSING_COLUMN = "missing_column"  # the record lacks the field a required column comes from
MISSING_REQUIRED = "missing_required"  # a key or required column is empty
WRONG_TYPE = "wrong_type"  # a value that will not convert to the column's canonical type
UNKNOWN_VALUE = "unknown_value"  # a status (or other enumerated value) outside the canonical set
# rows with the same key and different content in one batch, or in two files one run lands
DUPLICATE_CONFLICT = "duplicate_conflict"


class Problem(NamedTuple):
    reason: str
    detail: str
