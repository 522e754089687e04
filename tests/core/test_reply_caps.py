"""Loops and spam: automatic answers are capped per contact, quietly (no error text to the customer)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from hub.contacts.models import Consent
from hub.runtime.settings import get_settings
from tests.core.test_consent import deliver, outbound_texts
from tests.factories import make_channel


def test_twenty_five_helps_get_three_answers(backend: Any) -> None:
    channel = make_channel("sms_twilio")
    conversation_ids = {deliver(channel.id or 0, f"SM{n}", "HELP").conversation_id for n in range(25)}
    [conversation_id] = conversation_ids
    answers = outbound_texts(conversation_id)
    assert len(answers) == 3 and all("STOP" in text for text in answers)


def test_repeated_stops_are_recorded_but_confirmed_once_across_channels(backend: Any) -> None:
    from hub.runtime.db import session_scope

    sms, whatsapp = make_channel("sms_twilio", name="sms"), make_channel("whatsapp_twilio", name="wa")
    first = deliver(sms.id or 0, "SM1", "STOP")
    deliver(sms.id or 0, "SM2", "STOP")
    deliver(sms.id or 0, "SM3", "START")
    deliver(sms.id or 0, "SM4", "STOP")
    other = deliver(whatsapp.id or 0, "WA1", "STOP")
    texts = outbound_texts(first.conversation_id) + outbound_texts(other.conversation_id)
    assert sum("unsubscribed" in text for text in texts) == 1
    assert sum("subscribed again" in text for text in texts) == 1
    with session_scope() as session:
        statuses = [c.status for c in session.exec(select(Consent).order_by(Consent.id))]
    assert statuses[-1] == "opted_out" and len(statuses) == 5


def test_the_caps_are_settings(backend: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_KEYWORD_REPLIES_PER_DAY", "5")
    get_settings.cache_clear()
    channel = make_channel("sms_twilio")
    conversation_id = [deliver(channel.id or 0, f"SM{n}", "HELP") for n in range(8)][0].conversation_id
    assert len(outbound_texts(conversation_id)) == 5


def test_checkouts_per_conversation_are_capped_quietly(backend: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from catalog import chat_replies
    from catalog.models import Order
    from channels import IdentityRef
    from hub.runtime.db import session_scope
    from tests.catalog.factories import make_product
    from tests.catalog.test_chat_replies import refuse_checkout, replies, says

    monkeypatch.setattr(chat_replies, "create_checkout", refuse_checkout)  # a text answer, no payment button
    variant_id = make_product()["SHIRT-M"]
    channel = make_channel("webchat", "Shop site")
    conversation_id = 0
    for n in range(8):  # add, checkout, add, checkout...: a loop holding stock each time
        for step, data in enumerate((f"cart:add:{variant_id}", "cart:checkout")):
            message_id, conversation_id = says(channel.id, f"cb:{n}:{step}", identity=IdentityRef("webchat", "v-9"),
                                               kind="callback", text=data, payload={"data": data}, locale="en")
            chat_replies.answer_cart_reply(message_id)
    with session_scope() as session:
        assert len(list(session.exec(select(Order).where(Order.conversation_id == conversation_id)))) == 5
    answers = [m.text or "" for m in replies(conversation_id)]
    assert sum("Order" in text for text in answers) == 5  # the capped checkouts got no answer at all
    assert not any("sorry" in text.lower() or "cannot" in text.lower() for text in answers)


def test_an_agents_payment_links_past_the_cap_get_429(backend: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    from fastapi.testclient import TestClient

    from hub.composition import create_app
    from hub.conversations.models import Conversation
    from hub.runtime.db import session_scope, utcnow
    from tests.catalog.factories import make_customer, make_product
    from tests.factories import make_user, token_for

    monkeypatch.setenv("HUB_CHECKOUTS_PER_HOUR", "2")
    get_settings.cache_clear()
    variant_id = make_product(variants={"SHIRT-M": {"HKD": 29600}})["SHIRT-M"]
    customer = make_customer(channel_id=make_channel("telegram").id)
    make_user("boss@shop.test", role="admin")
    with session_scope() as session:
        conversation = session.get(Conversation, customer.conversation_id)
        assert conversation is not None
        conversation.last_inbound_at = utcnow()
    with TestClient(create_app()) as client:
        auth = token_for(client, "boss@shop.test")
        path = f"/api/v1/conversations/{customer.conversation_id}/payment-link"
        codes = [client.post(path, json={"items": [{"variant_id": variant_id, "quantity": 1}]}, headers=auth)
                 for _ in range(3)]
    assert [answer.status_code for answer in codes] == [202, 202, 429]
    assert "HUB_CHECKOUTS_PER_HOUR" in codes[2].json()["detail"]
