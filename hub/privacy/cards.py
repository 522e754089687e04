"""Payment card numbers never stored or shown in message text.

A run of 13 to 19 digits (single spaces or hyphens between them allowed, full-width digits too) that
passes the Luhn check becomes `[card ****1234]`. The column type `MaskedText` does it on every write of
`message.text` (the ingest's set-based insert, replies, notes, broadcasts alike) and on every read, so
rows stored before masking existed are shown masked too.
"""

from __future__ import annotations

import unicodedata

import regex
from sqlalchemy import Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# digits with at most one space or hyphen between them; lookarounds keep a longer number whole
CANDIDATE = regex.compile(r"(?<![\d])\d(?:[ \-]?\d){12,18}(?![\d])")


def luhn_valid(digits: str) -> bool:
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _replace(match: regex.Match[str]) -> str:
    digits = "".join(str(unicodedata.digit(c)) for c in match.group() if c.isdigit())
    if not 13 <= len(digits) <= 19 or not luhn_valid(digits):
        return str(match.group())
    return f"[card ****{digits[-4:]}]"


def mask_cards(text: str) -> str:
    """The text with every Luhn-valid card number replaced by `[card ****` + its last four digits + `]`."""
    if sum(c.isdigit() for c in text) < 13:  # most messages: no work
        return text
    return str(CANDIDATE.sub(_replace, text))


class MaskedText(TypeDecorator[str]):
    """Text whose card numbers are masked on the way in and on the way out."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else mask_cards(value)

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        return None if value is None else mask_cards(value)
