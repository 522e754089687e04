"""What a customer reads, in their language (`en`, `zh_Hant`, `ja`; English when Hub has no wording)."""

from __future__ import annotations

from typing import Any

SENTENCES: dict[str, dict[str, str]] = {
    "ask": {"en": "How did we do? Please rate our help from 1 (very poor) to 5 (excellent).",
            "zh_Hant": "我們這次的服務如何？請由 1（非常不滿意）至 5（非常滿意）評分。",
            "ja": "今回の対応はいかがでしたか？1（とても不満）から5（とても満足）で評価してください。"},
    "reply_with": {"en": "Reply with a number from 1 to 5.", "zh_Hant": "請回覆 1 至 5 的數字。",
                          "ja": "1〜5の数字で返信してください。"},
    "list_button": {"en": "Rate", "zh_Hant": "評分", "ja": "評価する"},
    "rated": {"en": "Thank you for your rating! Anything you would like to add? Just reply with a comment.",
              "zh_Hant": "多謝你的評分！如有任何意見，歡迎直接回覆。",
              "ja": "ご評価ありがとうございます！ご意見があれば、このまま返信してください。"},
    "thanks": {"en": "Thank you for your feedback.", "zh_Hant": "多謝你寶貴的意見。",
               "ja": "貴重なご意見をありがとうございました。"},
}

SCORES: dict[str, dict[int, str]] = {
    "en": {5: "5 Excellent", 4: "4 Good", 3: "3 Okay", 2: "2 Poor", 1: "1 Very poor"},
    "zh_Hant": {5: "5 非常滿意", 4: "4 滿意", 3: "3 普通", 2: "2 不滿意", 1: "1 非常不滿意"},
    "ja": {5: "5 とても満足", 4: "4 満足", 3: "3 普通", 2: "2 不満", 1: "1 とても不満"},
}

TEMPLATE_LANGUAGE = {"en": "en", "zh_Hant": "zh_HK", "ja": "ja"}
"""WhatsApp's code for a template's language, when the setting names none."""

BUTTON_PREFIX = "csat:"


def say(key: str, locale: str | None) -> str:
    """One sentence in the customer's language."""
    wording = SENTENCES[key]
    return wording.get(locale or "en", wording["en"])


def ask_for_a_number(locale: str | None) -> str:
    """The request where there are no buttons (SMS): the question and "reply with a number from 1 to 5"."""
    joint = "" if locale in ("zh_Hant", "ja") else " "  # CJK sentences follow each other without a space
    return f"{say('ask', locale)}{joint}{say('reply_with', locale)}"


def buttons(locale: str | None) -> list[dict[str, Any]]:
    """The five rating buttons, best first, as a message payload stores them (`csat:5` ... `csat:1`)."""
    titles = SCORES.get(locale or "en", SCORES["en"])
    return [{"title": titles[score], "id": f"{BUTTON_PREFIX}{score}"} for score in (5, 4, 3, 2, 1)]
