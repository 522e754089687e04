"""Which inbound messages are opt-out, opt-in or help keywords. Pure: no state, no I/O.

SMS follows the keywords Twilio and US carriers honour on long codes. Chat apps (WhatsApp,
Telegram, web chat) honour the same words plus the Chinese and Japanese ones customers type.
Only a message that is the keyword alone counts ("cancel my order" reaches an agent), and the
confirmation always says how to undo it.
"""

from __future__ import annotations

import unicodedata
from typing import Literal

Keyword = Literal["stop", "start", "help"]

SMS_KINDS = frozenset({"sms_twilio"})

_SMS_KEYWORDS: dict[str, Keyword] = {
    **dict.fromkeys(("stop", "stopall", "unsubscribe", "cancel", "end", "quit", "optout", "revoke"), "stop"),
    **dict.fromkeys(("start", "unstop", "yes"), "start"),
    **dict.fromkeys(("help", "info"), "help"),
}

_CHAT_KEYWORDS: dict[str, Keyword] = {
    **_SMS_KEYWORDS,
    **dict.fromkeys(("退订", "退訂", "取消訂閱", "取消订阅", "停止", "配信停止"), "stop"),
}


def normalize(text: str) -> str:
    """Fold full-width forms and case, drop surrounding whitespace and trailing punctuation."""
    folded = unicodedata.normalize("NFKC", text).strip()
    end = len(folded)
    while end > 0 and (unicodedata.category(folded[end - 1]).startswith("P") or folded[end - 1].isspace()):
        end -= 1
    return folded[:end].casefold()


def classify_keyword(text: str | None, kind: str) -> Keyword | None:
    """"stop", "start" or "help" when the whole message is such a keyword on a channel of `kind`.

    Args:
        text: the inbound message text.
        kind: the channel kind (`sms_twilio`, `whatsapp_meta`, `telegram`, ...).

    Returns:
        The keyword class, or None for any other message.
    """
    if not text:
        return None
    table = _SMS_KEYWORDS if kind in SMS_KINDS else _CHAT_KEYWORDS
    return table.get(normalize(text))
