"""What bots say themselves, in the customer's language (en, zh-Hant, ja): one language per message, never
mixed. A flow's own texts come from its definition (per language, `flows.journeys.messages.pick`)."""

from __future__ import annotations

from typing import Any

from hub.contacts import locales

LOCALES = ("en", "zh-Hant", "ja")

TEXTS: dict[str, dict[str, str]] = {
    "handoff": {
        "en": "Thanks! I'm passing you to a colleague, who will reply here shortly.",
        "zh-Hant": "謝謝！我會請同事接手，他們會盡快在這裡回覆你。",
        "ja": "ありがとうございます。担当者におつなぎします。まもなくこちらで返信いたします。",
    },
    "handoff_away": {
        "en": "Thanks! A colleague will reply here when we open again ({when}).",
        "zh-Hant": "謝謝！我們的同事會在營業時間（{when}）在這裡回覆你。",
        "ja": "ありがとうございます。営業時間（{when}）になり次第、担当者がこちらで返信いたします。",
    },
    "away": {
        "en": "We're closed right now. A person will answer from {when}.",
        "zh-Hant": "我們現在休息中，同事會在 {when} 起回覆你。",
        "ja": "ただいま営業時間外です。{when} から担当者が返信いたします。",
    },
    "not_understood": {
        "en": "Sorry, I didn't catch that. Please choose one of these:",
        "zh-Hant": "抱歉，我不太明白。請選擇以下其中一項：",
        "ja": "すみません、よくわかりませんでした。次の中からお選びください：",
    },
    "no_answer": {
        "en": "Sorry, I don't have an answer to that. Could you say it another way? (Type \"agent\" for a person.)",
        "zh-Hant": "抱歉，我暫時未有答案。可以換個方式再問一次嗎？（輸入「人工」轉接同事）",
        "ja": "申し訳ありません、お答えが見つかりませんでした。別の言い方でもう一度お願いします。"
              "（「担当者」と入力すると担当者につなぎます）",
    },
    "invalid": {
        "en": "That doesn't look like a valid {what}. Please try again.",
        "zh-Hant": "這似乎不是有效的{what}，請再試一次。",
        "ja": "有効な{what}ではないようです。もう一度お願いします。",
    },
    "orders_none": {
        "en": "I can't find any orders for you yet.",
        "zh-Hant": "暫時找不到你的訂單。",
        "ja": "ご注文が見つかりませんでした。",
    },
    "orders_unverified": {
        "en": "For your privacy I can only show orders placed from this chat. Type \"agent\" and a colleague will "
              "help.",
        "zh-Hant": "為保障你的私隱，我只能顯示在這個對話中下的訂單。輸入「人工」由同事協助你。",
        "ja": "プライバシー保護のため、このチャットからのご注文のみ表示できます。"
              "「担当者」と入力すると担当者がお手伝いします。",
    },
    "order_line": {
        "en": "Order {number}: {status}, {total}",
        "zh-Hant": "訂單 {number}：{status}，{total}",
        "ja": "ご注文 {number}：{status}、{total}",
    },
    "products_none": {
        "en": "Sorry, I couldn't find anything like that. Try another word, or type \"agent\" for a person.",
        "zh-Hant": "抱歉，找不到相關的商品。可以換個字詞再試，或輸入「人工」轉接同事。",
        "ja": "申し訳ありません、該当する商品が見つかりませんでした。別の言葉でお試しいただくか、"
              "「担当者」と入力してください。",
    },
    "points_unverified": {
        "en": "For your privacy I can only show points once we know this chat is yours. Type \"agent\" and a "
              "colleague will help.",
        "zh-Hant": "為保障你的私隱，確認這個對話屬於你之後才能顯示積分。輸入「人工」由同事協助你。",
        "ja": "プライバシー保護のため、ご本人確認ができたチャットでのみポイントを表示できます。"
              "「担当者」と入力すると担当者がお手伝いします。",
    },
    "points_balance": {
        "en": "You have {points} points.",
        "zh-Hant": "你現在有 {points} 積分。",
        "ja": "現在のポイントは {points} ポイントです。",
    },
    "points_tier": {
        "en": "Your tier: {tier}.",
        "zh-Hant": "你的會員等級：{tier}。",
        "ja": "会員ランク：{tier}。",
    },
    "points_next": {
        "en": "{points} more points to reach {tier}.",
        "zh-Hant": "再賺 {points} 積分即可升級至 {tier}。",
        "ja": "あと {points} ポイントで {tier} です。",
    },
}

WHAT: dict[str, dict[str, str]] = {
    "email": {"en": "email address", "zh-Hant": "電郵地址", "ja": "メールアドレス"},
    "phone": {"en": "phone number", "zh-Hant": "電話號碼", "ja": "電話番号"},
    "date": {"en": "date (e.g. 2026-12-24)", "zh-Hant": "日期（例如 2026-12-24）", "ja": "日付（例：2026-12-24）"},
    "order_number": {"en": "order number", "zh-Hant": "訂單編號", "ja": "注文番号"},
}

ORDER_STATUS: dict[str, dict[str, str]] = {
    "pending": {"en": "waiting for payment", "zh-Hant": "等待付款", "ja": "お支払い待ち"},
    "paid": {"en": "paid, being prepared", "zh-Hant": "已付款，準備中", "ja": "お支払い済み・準備中"},
    "expired": {"en": "expired", "zh-Hant": "已過期", "ja": "期限切れ"},
    "cancelled": {"en": "cancelled", "zh-Hant": "已取消", "ja": "キャンセル済み"},
    "refunded": {"en": "refunded", "zh-Hant": "已退款", "ja": "返金済み"},
}

HANDOFF_WORDS = ("agent", "human", "person", "人工", "真人", "客服", "担当者", "オペレーター")
"""A customer message that is one of these (or contains one, for the CJK words) asks for a person."""


def canonical(locale: str | None) -> str:
    """`zh_Hant`, `zh-hant`, `zh-TW` → `zh-Hant`; `ja-JP` → `ja`; anything else → `en`."""
    key = (locale or "").replace("_", "-").lower()
    if key.startswith("zh"):
        return "zh-Hant"
    if key.startswith("ja"):
        return "ja"
    return "en"


def detect(text: str | None) -> str | None:
    """The language of a customer's message when its script says it (see `locales.language_of_text`)."""
    found = locales.language_of_text(text)
    return canonical(found) if found else None


def say(key: str, locale: str | None, **values: Any) -> str:
    text = TEXTS[key].get(canonical(locale)) or TEXTS[key]["en"]
    return text.format(**values) if values else text


def word(table: dict[str, dict[str, str]], key: str, locale: str | None) -> str:
    entry = table.get(key) or {}
    return entry.get(canonical(locale)) or entry.get("en") or key


def asks_for_person(text: str | None) -> bool:
    """Did the customer ask for a person ("agent", "人工", "担当者"...)?"""
    from hub.tagging.match import normalize

    folded = normalize(text or "").strip(" .!?！？。")
    if not folded:
        return False
    return any(folded == w or (not w.isascii() and w in folded) for w in HANDOFF_WORDS)
