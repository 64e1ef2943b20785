"""Numbers, money, percentages and times written the way each language reads them (Babel, CLDR data)."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import ROUND_HALF_EVEN, Decimal
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_datetime
from babel.numbers import (
    format_compact_currency,
    format_compact_decimal,
    format_currency,
    format_decimal,
    format_percent,
    get_currency_symbol,
)

from report.i18n import LANGUAGES

# en_001 is English as read outside the US: the dollar is US$, so it is not taken for R$'s cousin.
LOCALES = {"en": Locale.parse("en_001"), "pt-BR": Locale.parse("pt_BR")}
# Fixed, sortable date-times for the report; Babel fills them in with the locale's digits.
DATETIME_PATTERNS = {"en": "yyyy-MM-dd HH:mm", "pt-BR": "dd/MM/yyyy HH:mm"}
DAY_PATTERNS = {"en": "MMM d", "pt-BR": "dd/MM"}  # chart axes: en 'Nov 28', pt-BR '28/11'
MINUS = "\u2212"
NBSP = "\u00a0"


class Formats:
    """Formatting for one language, time zone and currency: en 1,234.56; pt-BR 1.234,56."""

    def __init__(self, language: str, timezone: str, currency: str) -> None:
        if language not in LANGUAGES:
            raise ValueError(f"language must be one of {LANGUAGES}, got {language!r}")
        self.language = language
        self.locale = LOCALES[language]
        self.zone = ZoneInfo(timezone)
        self.timezone = timezone
        self.currency = currency

    def number(self, value: float | Decimal | int | None, decimals: int = 0) -> str:
        if value is None:
            return ""
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "")
        return format_decimal(_rounded(value, decimals), format=pattern, locale=self.locale)

    def money(self, value: float | Decimal | None) -> str:
        if value is None:
            return ""
        text = format_currency(_rounded(value, 2), self.currency, locale=self.locale)
        return self._space_after_code(text)

    def compact_money(self, value: float | Decimal | None, decimals: int = 2) -> str:
        """Large sums for a headline: en R$6.97M, pt-BR R$ 6,97 mi."""
        if value is None:
            return ""
        text = format_compact_currency(value, self.currency, locale=self.locale, fraction_digits=decimals)
        return self._space_after_code(text)

    def compact_number(self, value: float | int | None, decimals: int = 1) -> str:
        """Large counts: en 12.3K, pt-BR 12,3 mil."""
        if value is None:
            return ""
        return format_compact_decimal(value, locale=self.locale, fraction_digits=decimals)

    def percent(self, ratio: float | None, decimals: int = 1) -> str:
        if ratio is None:
            return ""
        pattern = "#,##0" + ("." + "0" * decimals if decimals else "") + "%"
        return format_percent(_rounded(ratio, decimals + 2), format=pattern, locale=self.locale)

    def signed(self, value: int) -> str:
        """A change: +12, −3, 0 (a true minus sign, as wide as the plus)."""
        if value > 0:
            return f"+{self.number(value)}"
        if value < 0:
            return f"{MINUS}{self.number(-value)}"
        return "0"

    def local(self, value: datetime) -> datetime:
        return value.astimezone(self.zone)

    def _format(self, value: datetime, pattern: str) -> str:
        """In the report's zone; in UTC, marked so, where the zone would leave years 1 to 9999."""
        try:
            return format_datetime(self.local(value), pattern, locale=self.locale)
        except OverflowError:
            return format_datetime(value.astimezone(UTC), pattern, locale=self.locale) + " UTC"

    def datetime(self, value: datetime | None) -> str:
        if value is None:
            return ""
        return self._format(value, DATETIME_PATTERNS[self.language])

    def time(self, value: datetime) -> str:
        return self._format(value, "HH:mm")

    def day(self, value: datetime) -> str:
        """Short day for chart axes: en 'Nov 28', pt-BR '28/11'."""
        return self._format(value, DAY_PATTERNS[self.language])

    def _space_after_code(self, text: str) -> str:
        # Babel skips CLDR's currency spacing: a code with no symbol (ARS) would touch the digits
        symbol = get_currency_symbol(self.currency, locale=self.locale)
        if symbol[-1:].isalpha() and f"{symbol}{NBSP}" not in text and f"{symbol} " not in text:
            return text.replace(symbol, f"{symbol}{NBSP}", 1)
        return text


def _rounded(value: float | Decimal | int, decimals: int) -> Decimal:
    """Rounded as shown, so -0.001 reads 0.00 and not a loss that is not there."""
    exact = value if isinstance(value, Decimal) else Decimal(str(value))
    shown = exact.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_EVEN)
    return shown if shown else abs(shown)
