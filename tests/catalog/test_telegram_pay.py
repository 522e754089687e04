"""Telegram Payments: an invoice for the order, the pre-checkout query answered after a check, the
successful payment recorded once like a Stripe payment."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from catalog import chat, chat_replies
from catalog.models import Order
from channels import IdentityRef, InboundMessage
from channels.telegram import Telegram
from channels.telegram.render import render
from hub.conversations.models import Message
from hub.conversations.outbound import as_outbound
from hub.ingest.service import receive
from hub.runtime.db import session_scope
from tests.catalog.factories import make_product, stock_of
from tests.factories import make_channel

CUSTOMER = IdentityRef("telegram", "700100200")


@pytest.fixture
def answers(monkeypatch):
    """What Hub answered to Telegram's pre-checkout queries (the Bot API call itself is tested in channels)."""
    given: list[tuple[str, bool, str | None]] = []

    async def answer(self, channel, query_id, ok, error_message=None):
        from channels import SendResult

        given.append((query_id, ok, error_message))
        return SendResult(ok=True)

    monkeypatch.setattr(Telegram, "answer_pre_checkout", answer)
    return given


def says(channel_id: int, provider_id: str, *, kind: str = "callback", text: str | None = None,
         payload: dict | None = None) -> tuple[int, int]:
    inbound = InboundMessage(provider_message_id=provider_id, identities=(CUSTOMER,), kind=kind, text=text,
                             payload=payload or {}, sent_at=datetime.now(UTC), profile_name="鈴木花子", locale="ja")
    with session_scope() as session:
        message = receive(session=session, channel_id=channel_id, inbound=inbound)
        return message.id, message.conversation_id


def checkout_on_telegram(variant_id: int) -> tuple[int, Message]:
    channel = make_channel("telegram", "Shop bot")  # no credentials: the sandbox bot, which takes test payments
    add = f"{chat.ADD}{variant_id}"
    first, conversation_id = says(channel.id, "cb:1", text=add, payload={"data": add})
    chat_replies.answer_cart_reply(first)
    done, _ = says(channel.id, "cb:2", text=chat.CHECKOUT, payload={"data": chat.CHECKOUT})
    chat_replies.answer_cart_reply(done)
    with session_scope() as session:
        invoice = session.exec(select(Message).where(Message.conversation_id == conversation_id,
                                                     Message.kind == "invoice")).one()
    return channel.id, invoice


def test_checkout_on_telegram_sends_an_invoice_with_exact_yen_amounts(backend):
    variant_id = make_product(variants={"SHIRT-M": {"HKD": 12850, "JPY": 2400}})["SHIRT-M"]
    _, invoice = checkout_on_telegram(variant_id)
    details = invoice.payload["invoice"]
    assert details["currency"] == "JPY" and details["prices"][0]["amount"] == 2400
    assert "provider_token" not in details  # the secret stays in the channel's config
    call = render(as_outbound(invoice, CUSTOMER), provider_token="284685063:TEST:abc")
    assert call.method == "send_invoice"
    assert call.arguments["provider_token"] == "284685063:TEST:abc" and call.arguments["currency"] == "JPY"
    assert [price.amount for price in call.arguments["prices"]] == [2400]
    assert call.arguments["payload"] == f"order:{invoice.payload['order_id']}"


def test_the_pre_checkout_query_is_approved_only_for_the_pending_orders_exact_amount(backend, answers):
    variant_id = make_product()["SHIRT-M"]
    channel_id, invoice = checkout_on_telegram(variant_id)
    reference = invoice.payload["invoice"]["payload"]
    for number, (currency, amount) in enumerate((("JPY", 2400), ("JPY", 1), ("HKD", 2400)), start=1):
        query = {"id": f"q{number}", "currency": currency, "total_amount": amount, "invoice_payload": reference,
                 "from": {"id": 700100200}}
        message_id, _ = says(channel_id, f"pre_checkout:q{number}", kind="payment",
                             payload={"pre_checkout_query": query})
        chat_replies.answer_cart_reply(message_id)
    assert [(query_id, ok) for query_id, ok, _ in answers] == [("q1", True), ("q2", False), ("q3", False)]
    assert "期限切れ" in answers[1][2]  # refused in the customer's language

    with session_scope() as session:  # an order past its hold is refused too
        order = session.get(Order, invoice.payload["order_id"])
        order.expires_at = datetime.now(UTC) - timedelta(minutes=1)
    query = {"id": "q9", "currency": "JPY", "total_amount": 2400, "invoice_payload": reference}
    message_id, _ = says(channel_id, "pre_checkout:q9", kind="payment", payload={"pre_checkout_query": query})
    chat_replies.answer_cart_reply(message_id)
    assert answers[-1][:2] == ("q9", False)


def test_a_successful_payment_pays_the_order_once_and_confirms_once(backend, answers):
    variant_id = make_product()["SHIRT-M"]
    channel_id, invoice = checkout_on_telegram(variant_id)
    assert stock_of(variant_id) == (10, 1)
    paid = {"currency": "JPY", "total_amount": 2400, "invoice_payload": invoice.payload["invoice"]["payload"],
            "telegram_payment_charge_id": "tg-charge-1", "provider_payment_charge_id": "ch_1"}
    results = []
    for provider_id in ("700100200:55", "700100200:56"):  # the same payment, told twice
        message_id, conversation_id = says(channel_id, provider_id, kind="payment",
                                           payload={"successful_payment": paid})
        results.append(chat_replies.answer_cart_reply(message_id))
    assert results == ["paid", "paid already"]
    assert stock_of(variant_id) == (9, 0)
    with session_scope() as session:
        order = session.get(Order, invoice.payload["order_id"])
        assert (order.status, order.payment_provider, order.payment_ref) == ("paid", "telegram", "tg-charge-1")
        confirmations = session.exec(select(Message).where(Message.conversation_id == conversation_id,
                                                           Message.client_key == f"order-paid-{order.id}")).all()
        assert len(confirmations) == 1 and order.number in confirmations[0].text
