"""STOP / START / HELP: consent per channel, one confirmation, and nothing else to an opted-out SMS number."""

from __future__ import annotations

import pytest
from sqlmodel import select

from hub.consent.keywords import language_of
from hub.contacts.models import Consent
from hub.conversations import outbound
from hub.conversations.models import Conversation, Message
from hub.ingest.service import receive
from hub.runtime.db import session_scope
from tests.factories import inbound, make_channel


def deliver(channel_id: int, provider_id: str, text: str, phone: str = "+14155550100") -> Message:
    with session_scope() as session:
        message = receive(session=session, channel_id=channel_id, inbound=inbound(provider_id, phone, text, "Kim"))
        assert message is not None
        return message


def outbound_texts(conversation_id: int) -> list[str]:
    with session_scope() as session:
        rows = session.exec(select(Message).where(Message.conversation_id == conversation_id,
                                                  Message.direction == "outbound").order_by(Message.id))
        return [m.text or "" for m in rows]


@pytest.mark.parametrize("text", ["STOP", "stop", " Stop! ", "ＳＴＯＰ", "unsubscribe", "Cancel.", "END", "quit",
                                  "OPTOUT", "revoke", "STOPALL"])
def test_sms_stop_words_opt_out_with_one_confirmation(backend, text):
    channel = make_channel("sms_twilio")
    message = deliver(channel.id, "SM1", text)
    with session_scope() as session:
        [consent] = session.exec(select(Consent)).all()
        assert (consent.status, consent.channel_id) == ("opted_out", channel.id)
        assert consent.source.startswith("keyword:")
    [confirmation] = outbound_texts(message.conversation_id)
    assert "unsubscribed" in confirmation and "START" in confirmation


def test_nothing_but_the_confirmation_goes_to_an_opted_out_sms_number(backend):
    channel = make_channel("sms_twilio")
    message = deliver(channel.id, "SM1", "STOP")
    with session_scope() as session:
        conversation = session.get(Conversation, message.conversation_id)
        with pytest.raises(outbound.ReplyRefused, match="STOP"):
            outbound.queue_reply(session=session, conversation=conversation, author_id=None, text="Sale today!")
    deliver(channel.id, "SM2", "START")
    with session_scope() as session:
        conversation = session.get(Conversation, message.conversation_id)
        outbound.queue_reply(session=session, conversation=conversation, author_id=None, text="Welcome back")
    texts = outbound_texts(message.conversation_id)
    assert len(texts) == 3 and "subscribed again" in texts[1] and texts[2] == "Welcome back"


def test_help_gets_the_help_text_and_changes_no_consent(backend):
    channel = make_channel("sms_twilio")
    message = deliver(channel.id, "SM1", "help")
    with session_scope() as session:
        assert session.exec(select(Consent)).all() == []
    assert "STOP" in outbound_texts(message.conversation_id)[0]


@pytest.mark.parametrize("text, language", [("退订", "zh"), ("取消訂閱", "zh"), ("停止", "zh"), ("配信停止", "ja"),
                                            ("unsubscribe", "en"), ("STOP", "en")])
def test_chat_apps_understand_chinese_and_japanese_opt_out_words(backend, text, language):
    channel = make_channel("whatsapp_meta")
    # a UK number: the keyword's script decides (a Hong Kong number alone now means Traditional Chinese)
    message = deliver(channel.id, "wamid.1", text, phone="+447700900123")
    with session_scope() as session:
        assert session.exec(select(Consent.status)).all() == ["opted_out"]
    [confirmation] = outbound_texts(message.conversation_id)
    assert language_of(text, None) == language
    expected = {"zh": "取消訂閱", "ja": "配信を停止", "en": "unsubscribed"}[language]
    assert expected in confirmation


def test_a_sentence_that_contains_stop_is_not_an_opt_out(backend):
    channel = make_channel("sms_twilio")
    deliver(channel.id, "SM1", "Please don't stop sending me deals")
    deliver(channel.id, "SM2", "請問幾時停止營業？")
    with session_scope() as session:
        assert session.exec(select(Consent)).all() == []
