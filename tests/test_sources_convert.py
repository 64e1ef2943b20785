"""Typed conversion to the canonical text of raw.*, and the canonical model against the warehouse."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from sources.canonical import MONEY, TABLES, WEIGHT
from sources.convert import ConversionError, parse_zone, to_decimal, to_integer, to_timestamp

SAO_PAULO = parse_zone("America/Sao_Paulo")


@pytest.mark.parametrize(
    ("value", "formats", "zone", "expected"),
    [
        ("2026-11-27T14:05:00Z", ["iso"], UTC, "2026-11-27T14:05:00Z"),
        ("2026-11-27 11:05:00-03:00", ["iso"], UTC, "2026-11-27T14:05:00Z"),
        ("2026-11-27 11:05", ["iso"], SAO_PAULO, "2026-11-27T14:05:00Z"),
        ("27/11/2026 11:05", ["%d/%m/%Y %H:%M"], parse_zone("-03:00"), "2026-11-27T14:05:00Z"),
        ("27/11/2026", ["%d/%m/%Y %H:%M", "%d/%m/%Y"], parse_zone("-0300"), "2026-11-27T03:00:00Z"),
        ("11/27/2026 02:05 PM", ["%m/%d/%Y %I:%M %p"], UTC, "2026-11-27T14:05:00Z"),
        ("27/11/2026 11:05 -0200", ["%d/%m/%Y %H:%M %z"], SAO_PAULO, "2026-11-27T13:05:00Z"),  # its own zone wins
        ("1795788300", ["iso", "epoch"], UTC, "2026-11-27T14:05:00Z"),
        # naive, as Parquet may give it
        (datetime(2026, 11, 27, 11, 5), ["iso"], SAO_PAULO, "2026-11-27T14:05:00Z"),  # noqa: DTZ001
        (datetime(2026, 11, 27, 14, 5, 0, 250000, tzinfo=UTC), ["iso"], SAO_PAULO, "2026-11-27T14:05:00.250000Z"),
        (date(2026, 11, 27), ["iso"], UTC, "2026-11-27T00:00:00Z"),
    ],
)
def test_timestamps_become_iso_utc(value, formats, zone, expected):
    assert to_timestamp(value, formats, zone) == expected


@pytest.mark.parametrize("value", ["31/02/2026 10:00", "amanhã", "2026-13-01", True, [2026]])
def test_what_is_not_a_timestamp_says_so(value):
    with pytest.raises(ConversionError, match="is not a timestamp"):
        to_timestamp(value, ["%d/%m/%Y %H:%M"], UTC)


@pytest.mark.parametrize(
    ("value", "comma", "expected"),
    [
        ("219.80", False, "219.80"),
        ("-0.5", False, "-0.5"),
        (" 12 ", False, "12"),
        (219.8, False, "219.8"),
        (7, False, "7"),
        ("219,80", True, "219.80"),
        ("1.234,56", True, "1234.56"),
        ("1.234.567,5", True, "1234567.5"),
        ("1 234,56", True, "1234.56"),
        ("-3", True, "-3"),
    ],
)
def test_decimals_use_a_dot(value, comma, expected):
    assert to_decimal(value, MONEY, decimal_comma=comma) == expected


@pytest.mark.parametrize(
    ("value", "comma", "message"),
    [
        ("219,80", False, "set decimal_comma"),
        ("1,234.56", False, "decimal point"),
        ("12.34.56", True, "decimal comma"),
        ("R$ 10", False, "not a number"),
        ("1e5", False, "not a number"),
        ("NaN", False, "not a number"),
        (float("inf"), False, "finite"),
        (True, False, "not a number"),
        ("12345678.5", False, "does not fit decimal(10, 3)"),
    ],
)
def test_what_is_not_a_decimal_says_so(value, comma, message):
    with pytest.raises(ConversionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        to_decimal(value, WEIGHT, decimal_comma=comma)


def test_integers():
    assert [to_integer(v) for v in ("3", " -2 ", 5, 2.0)] == ["3", "-2", "5", "2"]
    for bad in ("2.5", "dois", 2.5, "99999999999", False):
        with pytest.raises(ConversionError):
            to_integer(bad)


def test_zones():
    assert parse_zone("+05:30").utcoffset(None).total_seconds() == 5.5 * 3600
    with pytest.raises(ValueError, match="unknown time zone"):
        parse_zone("Mars/Olympus")


def test_the_canonical_model_is_the_raw_schema(warehouse):
    for table, canonical in TABLES.items():
        columns = [
            name for (name,) in warehouse.execute(
                "select column_name from information_schema.columns "
                "where table_schema = 'raw' and table_name = ? order by ordinal_position", [table],
            ).fetchall()
            if not name.startswith("_")
        ]
        assert columns == list(canonical.columns), table
