"""What the customer reads about a payment, in English, Traditional Chinese and Japanese."""

from __future__ import annotations

from catalog import money
from catalog.models import Order, OrderLine

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "paid": "Thank you! We received your payment for order {number}.",
        "total": "Total: {total}",
        "page_title": "Test checkout",
        "sandbox_notice": "Sandbox: no real payment is taken.",
        "order": "Order {number}",
        "pay": "Pay (test)",
        "cancel": "Cancel",
        "done": "Payment received (test). You can close this page.",
        "cancelled": "Payment cancelled. Your order stays open until it expires.",
        "not_open": "This checkout is {status}.",
        "back": "Back to the shop",
    },
    "zh_Hant": {
        "paid": "多謝！我們已收到訂單 {number} 的付款。",
        "total": "合計：{total}",
        "page_title": "測試付款",
        "sandbox_notice": "測試環境：不會收取真正的款項。",
        "order": "訂單 {number}",
        "pay": "付款（測試）",
        "cancel": "取消",
        "done": "已收到付款（測試）。你可以關閉此頁。",
        "cancelled": "付款已取消。訂單會保留至到期。",
        "not_open": "此付款頁面的狀態：{status}。",
        "back": "返回商店",
    },
    "ja": {
        "paid": "ありがとうございます。ご注文 {number} のお支払いを確認しました。",
        "total": "合計：{total}",
        "page_title": "テスト決済",
        "sandbox_notice": "サンドボックス：実際の支払いは発生しません。",
        "order": "ご注文 {number}",
        "pay": "支払う（テスト）",
        "cancel": "キャンセル",
        "done": "お支払いを受け付けました（テスト）。このページを閉じてください。",
        "cancelled": "お支払いをキャンセルしました。ご注文は期限まで保留されます。",
        "not_open": "この決済は {status} です。",
        "back": "ショップに戻る",
    },
}


def language(locale: str | None) -> str:
    """The wording's language for a contact's locale: zh* → zh_Hant, ja* → ja, else English."""
    code = (locale or "en").replace("-", "_").lower()
    if code.startswith("zh"):
        return "zh_Hant"
    if code.startswith("ja"):
        return "ja"
    return "en"


def say(locale: str | None, key: str, **values: str) -> str:
    return TEXTS[language(locale)][key].format(**values)


def line_text(line: OrderLine, locale: str | None) -> str:
    """"2 × Silk shirt (M) — HK$257.00"."""
    amount = money.display(line.unit_minor * line.quantity, line.currency, locale)
    return f"{line.quantity} × {line.title} — {amount}"


def confirmation(order: Order, lines: list[OrderLine], locale: str | None) -> str:
    """The message the customer gets once their payment is recorded: number, lines and total."""
    total = money.display(order.total_minor, order.currency, locale)
    return "\n".join([say(locale, "paid", number=order.number), *(line_text(line, locale) for line in lines),
                      say(locale, "total", total=total)])


STRIPE_LOCALES = {"en": "en", "zh_Hant": "zh-HK", "ja": "ja"}


def stripe_locale(locale: str | None) -> str:
    """The Checkout page's language for a contact (Stripe's own codes)."""
    return STRIPE_LOCALES[language(locale)]
