"""Numbers, money, percentages and times written the way each language reads them."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from report.i18n import LANGUAGES, MONTHS

CURRENCY_SYMBOLS = {"BRL": "R$", "USD": "US$", "EUR": "€", "GBP": "£"}


class Formats:
    """Formatting for one language, time zone and currency: en 1,234.56; pt-BR 1.234,56."""

    def __init__(self, language: str, timezone: str, currency: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
        self.language = language
        self.zone = ZoneInfo(timezone)
        self.timezone = timezone
        self.currency = currency

    def number(self, value: float | Decimal | int | None, decimals: int = 0) -> str:
        if value is None:
            return ""
        text = f"{value:,.{decimals}f}"
        if text.startswith("-") and text.strip("-0.,") == "":
            text = text[1:]  # -0.00 reads as a loss that is not there
        if self.language == "pt-BR":
            text = text.translate(str.maketrans(",.", ".,"))
        return text

    def money(self, value: float | Decimal | None) -> str:
        if value is None:
            return ""
        amount = self.number(abs(value), 2)
        sign = "-" if value < 0 and amount.strip("0.,") else ""
        symbol = CURRENCY_SYMBOLS.get(self.currency)
        if self.language == "pt-BR":
            return f"{sign}{symbol or self.currency} {amount}"
        return f"{sign}{symbol}{amount}" if symbol else f"{sign}{self.currency} {amount}"

    def percent(self, ratio: float | None, decimals: int = 1) -> str:
        if ratio is None:
            return ""
        return f"{self.number(ratio * 100, decimals)}%"

    def signed(self, value: int) -> str:
        """A change: +12, −3, 0."""
        if value > 0:
            return f"+{self.number(value)}"
        if value < 0:
            return f"\u2212{self.number(-value)}"
        return "0"

    def local(self, value: datetime) -> datetime:
        return value.astimezone(self.zone)

    def datetime(self, value: datetime | None) -> str:
        if value is None:
            return ""
        local = self.local(value)
        if self.language == "pt-BR":
            return local.strftime("%d/%m/%Y %H:%M")
        return local.strftime("%Y-%m-%d %H:%M")

    def time(self, value: datetime) -> str:
        return self.local(value).strftime("%H:%M")

    def day(self, value: datetime) -> str:
        """Short day for chart axes: en 'Nov 28', pt-BR '28/11'."""
        local = self.local(value)
        if self.language == "pt-BR":
            return local.strftime("%d/%m")
        return f"{MONTHS['en'][local.month - 1]} {local.day}"
