"""Telegram Payments, the alternative to Stripe on Telegram.

A checkout on a Telegram channel (with a `payment_provider_token`, or the sandbox bot) sends an
invoice (`sendInvoice`) for the order instead of a Stripe link. Telegram then sends a
`pre_checkout_query`, which must be answered within 10 seconds: Hub answers yes only while the order
is pending, unexpired, and for exactly its amount and currency (its stock is reserved since checkout).
The `successful_payment` message marks the order paid like a Stripe payment (once, keyed by
Telegram's charge id) and the customer gets the same confirmation.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

from sqlmodel import Session

from catalog import orders
from catalog.chat import Reply
from catalog.models import Order, OrderStatus
from catalog.payments import service as payments
from channels import ADAPTERS
from channels.telegram import Telegram
from hub.channel_records.models import Channel
from hub.channel_records.service import as_config
from hub.conversations.models import Conversation, Message
from hub.runtime.db import as_utc, utcnow

log = logging.getLogger(__name__)
REFERENCE = re.compile(r"order:(\d{1,18})")
TEXTS = {
    "invoice": {"en": "Order {number}", "zh_Hant": "訂單 {number}", "ja": "ご注文 {number}"},
    "expired": {"en": "This order has expired. Please check out again.",
                "zh_Hant": "此訂單已過期，請重新結帳。", "ja": "このご注文は期限切れです。もう一度お手続きください。"},
}


def _say(key: str, locale: str | None) -> str:
    texts = TEXTS[key]
    return texts.get(locale or "en") or texts.get((locale or "en").split("_")[0]) or texts["en"]


def telegram_adapter(channel: Channel) -> Telegram | None:
    adapter = ADAPTERS.get(channel.kind)
    return adapter if isinstance(adapter, Telegram) else None


def pays_on_telegram(*, session: Session, conversation: Conversation) -> bool:
    """The conversation is on a Telegram bot that can take payments."""
    channel = session.get(Channel, conversation.channel_id)
    adapter = telegram_adapter(channel) if channel else None
    return bool(adapter and channel and adapter.payment_provider_token(as_config(channel)))


def invoice_message(*, session: Session, order: Order, locale: str | None) -> Reply:
    """The order as a Telegram invoice: one price line per order line, amounts from the order itself."""
    assert order.id is not None
    lines = orders.lines_of(session=session, order_id=order.id)
    title = _say("invoice", locale).format(number=order.number)
    description = ", ".join(f"{line.title} × {line.quantity}" for line in lines)
    invoice = {"title": title, "description": description or title, "payload": f"order:{order.id}",
               "currency": order.currency,
               "prices": [{"label": f"{line.title} × {line.quantity}", "amount": line.unit_minor * line.quantity}
                          for line in lines]}
    return "invoice", f"{title}: {description}", {"invoice": invoice, "order_id": order.id}


def _order_of(session: Session, reference: Any) -> Order | None:
    found = REFERENCE.fullmatch(str(reference or ""))
    return session.get(Order, int(found.group(1))) if found else None


def handle(*, session: Session, message: Message, locale: str | None) -> str:
    """A payment update from Telegram: answer the pre-checkout query, or record the payment."""
    if "pre_checkout_query" in message.payload:
        return _pre_checkout(session, message, message.payload["pre_checkout_query"], locale)
    if "successful_payment" in message.payload:
        return _paid(session, message.payload["successful_payment"])
    return "not a payment"


def _payable(order: Order | None, currency: Any, amount: Any) -> bool:
    if order is None or order.status != OrderStatus.pending.value:
        return False
    if order.expires_at is not None and as_utc(order.expires_at) <= utcnow():
        return False
    return str(currency).upper() == order.currency and amount == order.total_minor


def _pre_checkout(session: Session, message: Message, query: dict[str, Any], locale: str | None) -> str:
    order = _order_of(session, query.get("invoice_payload"))
    ok = _payable(order, query.get("currency"), query.get("total_amount"))
    channel = session.get(Channel, message.channel_id)
    adapter = telegram_adapter(channel) if channel else None
    if channel is None or adapter is None:
        return "not a Telegram channel"
    result = asyncio.run(adapter.answer_pre_checkout(as_config(channel), str(query.get("id")), ok,
                                                     None if ok else _say("expired", locale)))
    if not result.ok:
        log.warning("answerPreCheckoutQuery failed: %s %s", result.error_code, result.error_reason)
    return "pre-checkout approved" if ok else "pre-checkout refused"


def _paid(session: Session, payment: dict[str, Any]) -> str:
    order = _order_of(session, payment.get("invoice_payload"))
    charge = str(payment.get("telegram_payment_charge_id") or "")
    if order is None or order.id is None or not charge:
        return "payment for no known order"
    if str(payment.get("currency")).upper() != order.currency or payment.get("total_amount") != order.total_minor:
        log.warning("Telegram payment %s does not match order %s", charge, order.number)
        return "amount mismatch"
    paid = orders.mark_paid(session=session, order_id=order.id, provider="telegram", payment_ref=charge)
    if not paid.already_paid:
        payments.confirm(session=session, order=paid.order)
    return "paid" if not paid.already_paid else "paid already"
