"""Amounts as integers in a currency's minor unit (JPY has none, HKD and USD have two).

Decimals come in from people and files, integers are stored, and Babel formats them for a
customer's locale. Floats never appear: 0.1 + 0.2 is not a price.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from babel import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision, is_currency

from catalog.errors import CatalogError

_CODE = re.compile(r"[A-Z]{3}")


class MoneyError(CatalogError):
    """An amount or currency that cannot be a price."""


def currency_code(raw: str) -> str:
    """The ISO 4217 code, upper case; refuses codes Babel does not know."""
    code = (raw or "").strip().upper()
    if not _CODE.fullmatch(code) or not is_currency(code):
        raise MoneyError(f"{raw!r} is not an ISO 4217 currency code (such as HKD, JPY or USD)")
    return code


def exponent(currency: str) -> int:
    """How many decimal places the currency's minor unit has: 0 for JPY, 2 for HKD."""
    return int(get_currency_precision(currency_code(currency)))


def to_minor(amount: Decimal, currency: str) -> int:
    """`Decimal("128.50")` HKD → 12850. Refuses amounts finer than the minor unit (JPY 1.5)."""
    if not isinstance(amount, Decimal) or not amount.is_finite():
        raise MoneyError(f"{amount!r} is not a finite decimal amount")
    scaled = amount.scaleb(exponent(currency))
    if scaled != scaled.to_integral_value():
        raise MoneyError(f"{amount} {currency_code(currency)} is finer than the currency's smallest unit")
    return int(scaled)


def parse_amount(raw: str, currency: str) -> int:
    """A price typed by a person or read from a file ("1500", "128.50") → minor units, not negative."""
    try:
        amount = Decimal(raw.strip())  # "1,500" is refused: the comma may be a decimal mark
    except InvalidOperation:
        raise MoneyError(f"{raw!r} is not a number") from None
    minor = to_minor(amount, currency)
    if minor < 0:
        raise MoneyError(f"{raw!r} is negative: a price cannot be")
    return minor


def from_minor(amount_minor: int, currency: str) -> Decimal:
    """12850 HKD → `Decimal("128.50")`; exact, with the currency's number of places."""
    places = exponent(currency)
    return Decimal(amount_minor).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def plain(amount_minor: int, currency: str) -> str:
    """The amount as a plain decimal string for files and APIs: "128.50", "1500"."""
    return str(from_minor(amount_minor, currency))


def babel_locale(locale: str | None) -> Locale:
    """A Babel locale from "zh_Hant", "zh-Hant-HK" or "ja"; English when unknown."""
    try:
        return Locale.parse((locale or "en").replace("-", "_"))
    except (UnknownLocaleError, ValueError):
        return Locale.parse("en")


def display(amount_minor: int, currency: str, locale: str | None = "en") -> str:
    """The amount as the customer reads it: "HK$128.50", "￥1,500"."""
    return str(format_currency(from_minor(amount_minor, currency), currency_code(currency),
                               locale=babel_locale(locale)))
