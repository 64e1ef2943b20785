"""Typed conversion of one source value to the canonical text raw.* holds.

Timestamps become ISO-8601 UTC with a `Z`, decimals use a dot and no grouping, integers
are plain digits. A value that does not convert raises ConversionError, saying why.
"""

from __future__ import annotations

import json
import math
import re
from datetime import UTC, date, datetime, time, timedelta, timezone, tzinfo
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sources.canonical import INTEGER, MONEY, TEXT, TIMESTAMP, WEIGHT

ISO = "iso"  # datetime.fromisoformat: 2026-11-27T14:05:00Z, 2026-11-27 14:05:00-03:00, 2026-11-27
EPOCH = "epoch"  # seconds since 1970-01-01 UTC
NAMED_FORMATS = (ISO, EPOCH)
STRPTIME_DIRECTIVES = set("aAbBcdfGHIjmMpSuUVwWxXyYzZ%")

DECIMAL_DIGITS = {MONEY: (18, 2), WEIGHT: (10, 3)}
INT32 = (-(2**31), 2**31 - 1)

_OFFSET = re.compile(r"^([+-])(\d{2}):?(\d{2})$")
_DOT_DECIMAL = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)$")
_COMMA_DECIMAL = re.compile(r"^[+-]?(\d{1,3}(\.\d{3})+|\d+)(,\d*)?$")
_INTEGER = re.compile(r"^[+-]?\d+$")
_ISO_DATE = re.compile(r"^\d{4}-?\d{2}-?\d{2}$")
TIME_DIRECTIVES = set("HIMSpXcfzZs")


class ConversionError(ValueError):
    """A value that does not convert to its column's canonical type."""


def parse_zone(name: str) -> tzinfo:
    """An IANA zone name (America/Sao_Paulo), UTC, or a fixed offset such as -03:00."""
    offset = _OFFSET.match(name)
    if offset:
        sign, hours, minutes = offset.groups()
        delta = timedelta(hours=int(hours), minutes=int(minutes))
        if delta >= timedelta(hours=24):
            raise ValueError(f"offset out of range: {name!r}")
        return timezone(-delta if sign == "-" else delta)
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {name!r} (an IANA name such as America/Sao_Paulo, or -03:00)") from exc


def format_problem(fmt: str) -> str | None:
    """Why a timestamp format cannot be used, or None when it can."""
    if fmt in NAMED_FORMATS:
        return None
    directives = re.findall(r"%(.)", fmt.replace("%%", ""))
    unknown = sorted(set(directives) - STRPTIME_DIRECTIVES)
    if not directives:
        return f"{fmt!r} has no % directives: use strptime codes such as %d/%m/%Y %H:%M, or 'iso' or 'epoch'"
    if unknown:
        return f"{fmt!r} uses unknown directives: " + ", ".join("%" + d for d in unknown)
    return None


def is_empty(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip() == "")


def to_text(value: object) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return format(value, "f")
    return json.dumps(value, ensure_ascii=False, default=str)


def _utc_text(moment: datetime) -> str:
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat() + "Z"


def _parse_moment(text: str, fmt: str) -> datetime:
    if fmt == ISO:
        return datetime.fromisoformat(text)
    if fmt == EPOCH:
        seconds = float(text)
        if not math.isfinite(seconds):
            raise ValueError("not a finite number")
        return datetime.fromtimestamp(seconds, UTC)
    return datetime.strptime(text, fmt)  # noqa: DTZ007 - naive results get the configured zone below


def _date_only(text: str, fmt: str) -> bool:
    """Whether `text`, read with `fmt`, names a day without a time of day."""
    if fmt == ISO:
        return bool(_ISO_DATE.match(text))
    if fmt == EPOCH:
        return False
    return not set(re.findall(r"%(.)", fmt.replace("%%", ""))) & TIME_DIRECTIVES


def to_timestamp(value: object, formats: list[str], zone: tzinfo, end_of_day: bool = False) -> str:
    """A moment in the first format that parses; naive moments are read in `zone`.

    A date without a time is the start of that day in `zone`, or with `end_of_day` (deadline
    columns) its last microsecond.
    """
    day_only = False
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, date):
        moment = datetime(value.year, value.month, value.day)  # noqa: DTZ001 - zone added below
        day_only = True
    elif isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ConversionError(f"{to_text(value)!r} is not a timestamp")
    else:
        text = str(value).strip()
        moment = None
        for fmt in formats:
            try:
                moment = _parse_moment(text, fmt)
                day_only = _date_only(text, fmt)
                break
            except (ValueError, OverflowError, OSError):
                continue
        if moment is None:
            raise ConversionError(f"{text!r} is not a timestamp in format {' or '.join(formats)}")
    if day_only and end_of_day:
        moment = datetime.combine(moment.date(), time.max, moment.tzinfo)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=zone)
    try:
        return _utc_text(moment)
    except OverflowError as exc:
        raise ConversionError(f"{to_text(value)!r} is out of range") from exc


def to_decimal(value: object, kind: str, decimal_comma: bool = False) -> str:
    """A decimal with a dot; with decimal_comma, 1.234,56 reads as 1234.56."""
    precision, scale = DECIMAL_DIGITS[kind]
    if isinstance(value, bool):
        raise ConversionError(f"{to_text(value)!r} is not a number")
    if isinstance(value, int | Decimal):
        number = Decimal(value)
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, str):
        text = value.strip().replace("\u00a0", "").replace(" ", "")
        if decimal_comma:
            if not _COMMA_DECIMAL.match(text):
                raise ConversionError(f"{value!r} is not a number with a decimal comma (1.234,56)")
            text = text.replace(".", "").replace(",", ".")
        elif not _DOT_DECIMAL.match(text):
            hint = " (set decimal_comma: true for 1.234,56)" if "," in text else ""
            raise ConversionError(f"{value!r} is not a number with a decimal point{hint}")
        number = Decimal(text)
    else:
        raise ConversionError(f"{to_text(value)!r} is not a number")
    try:
        if not number.is_finite():
            raise ConversionError(f"{to_text(value)!r} is not a finite number")
        whole_digits = len(str(abs(int(number)))) if abs(number) >= 1 else 0
    except (InvalidOperation, OverflowError) as exc:
        raise ConversionError(f"{to_text(value)!r} is not a number") from exc
    if whole_digits > precision - scale:
        raise ConversionError(f"{to_text(value)!r} does not fit {kind}")
    return format(number, "f")


def to_integer(value: object) -> str:
    if isinstance(value, bool):
        raise ConversionError(f"{to_text(value)!r} is not an integer")
    if isinstance(value, float | Decimal):
        finite = math.isfinite(value) if isinstance(value, float) else value.is_finite()
        if not finite or value != int(value):
            raise ConversionError(f"{to_text(value)!r} is not an integer")
        value = int(value)
    if isinstance(value, str):
        if not _INTEGER.match(value.strip()):
            raise ConversionError(f"{value!r} is not an integer")
        value = int(value.strip())
    if not isinstance(value, int):
        raise ConversionError(f"{to_text(value)!r} is not an integer")
    if not INT32[0] <= value <= INT32[1]:
        raise ConversionError(f"{value} does not fit a 32-bit integer")
    return str(value)


def convert(
    value: object, kind: str, *, formats: list[str], zone: tzinfo, decimal_comma: bool, end_of_day: bool = False
) -> str:
    """`value` (not empty) as the canonical text of type `kind`."""
    if kind == TEXT:
        return to_text(value)
    if kind == TIMESTAMP:
        return to_timestamp(value, formats, zone, end_of_day)
    if kind == INTEGER:
        return to_integer(value)
    return to_decimal(value, kind, decimal_comma)
