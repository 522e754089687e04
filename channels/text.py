"""Text that fits a provider's limits, and the numbered-menu fallback for channels without buttons."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence

from channels.types import Button

ELLIPSIS = "…"
_ZWJ = "\u200d"


def _extends_previous(char: str) -> bool:
    """True for characters that belong to the character before them (accents, emoji modifiers)."""
    code = ord(char)
    return (
        unicodedata.combining(char) != 0
        or char == _ZWJ
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0x1F3FB <= code <= 0x1F3FF  # skin-tone modifiers
        or 0xE0020 <= code <= 0xE007F  # emoji tag sequences
    )


def truncate_chars(text: str, limit: int) -> str:
    """Cut `text` to at most `limit` characters (code points, not bytes), ending with "…" when cut.

    CJK characters count as one each and are never split; an accent, emoji modifier or
    joiner is never separated from the character it belongs to.
    """
    if limit <= 0:
        return ""
    if len(text) <= limit:
        return text
    cut = limit - 1
    while cut > 0 and (_extends_previous(text[cut]) or text[cut - 1] == _ZWJ):
        cut -= 1
    return text[:cut].rstrip() + ELLIPSIS


def truncate_utf8(text: str, max_bytes: int) -> str:
    """Cut `text` to at most `max_bytes` UTF-8 bytes without splitting a character."""
    encoded = text.encode("utf-8")
    if len(encoded) <= max_bytes:
        return text
    return encoded[:max_bytes].decode("utf-8", errors="ignore")


def numbered_menu(text: str | None, buttons: Sequence[Button]) -> str:
    """Render buttons as plain text: reply buttons as "1. Title", URL buttons as "Title: url".

    The customer answers with the number; `choice_from_reply` maps it back to the button.
    """
    lines: list[str] = []
    number = 0
    for button in buttons:
        if button.url:
            lines.append(f"{button.title}: {button.url}")
            continue
        number += 1
        line = f"{number}. {button.title}"
        if button.description:
            line += f" ({button.description})"
        lines.append(line)
    parts = [part for part in (text, "\n".join(lines)) if part]
    return "\n\n".join(parts)


def choice_from_reply(reply: str | None, buttons: Sequence[Button]) -> Button | None:
    """The reply button a customer picked from a `numbered_menu`, by number or by exact title."""
    if not reply:
        return None
    answer = unicodedata.normalize("NFKC", reply).strip().rstrip(".)。、").strip()
    choices = [button for button in buttons if not button.url]
    if answer.isdigit():
        index = int(answer) - 1
        return choices[index] if 0 <= index < len(choices) else None
    folded = answer.casefold()
    return next((button for button in choices if button.title.casefold() == folded), None)
