"""Twilio parse: recorded webhook form posts become the right neutral events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

import pytest

from channels.twilio import TwilioSMS, TwilioWhatsApp
from channels.twilio.parse import parse_form
from channels.types import ChannelConfig, IdentityRef, ParseError, WebhookRequest

SMS = TwilioSMS()
WHATSAPP = TwilioWhatsApp()
CHANNEL = ChannelConfig(id=2, kind="whatsapp_twilio", config={})
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def form(fixture: Any, name: str) -> bytes:
    return urlencode(fixture("twilio", name)).encode()


def test_sms_text(fixture: Any) -> None:
    [message] = parse_form(form(fixture, "x_sms_inbound.json"), "inbound", now=NOW).messages

    assert message.provider_message_id == "SM1d2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b"
    assert message.identities == (IdentityRef("phone", "+85291234567"),)
    assert (message.kind, message.text) == ("text", "STOP")
    assert message.sent_at == NOW and message.profile_name is None


def test_mms_media_list_and_kind_from_the_first_content_type(fixture: Any) -> None:
    [message] = parse_form(form(fixture, "x_mms_inbound.json"), "inbound", now=NOW).messages

    assert message.kind == "image" and message.text == "收據"
    assert message.payload == {
        "media": [
            {
                "url": "https://api.twilio.com/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Messages/"
                "MM9f8e7d6c5b4a39281706f5e4d3c2b1a0/Media/ME0a1b2c3d4e5f60718293a4b5c6d7e8f9",
                "content_type": "image/jpeg",
            },
            {
                "url": "https://api.twilio.com/2010-04-01/Accounts/ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/Messages/"
                "MM9f8e7d6c5b4a39281706f5e4d3c2b1a0/Media/ME1b2c3d4e5f60718293a4b5c6d7e8f9a0",
                "content_type": "application/pdf",
            },
        ]
    }


def test_whatsapp_text_strips_the_prefix_and_keeps_the_profile_name(fixture: Any) -> None:
    [message] = WHATSAPP.parse(CHANNEL, form(fixture, "x_whatsapp_inbound_text.json"), "inbound").messages

    assert message.identities == (IdentityRef("phone", "+85291234567"),)
    assert message.profile_name == "陳大文" and message.text == "請問幾點開門？"


def test_whatsapp_location(fixture: Any) -> None:
    [message] = parse_form(form(fixture, "x_whatsapp_inbound_location.json"), "inbound", now=NOW).messages

    assert message.kind == "location" and message.text is None
    assert message.payload == {
        "latitude": 22.2819,
        "longitude": 114.1582,
        "name": "中環店",
        "address": "1 Queen's Road Central, Hong Kong",
    }


def test_whatsapp_quick_reply_button(fixture: Any) -> None:
    [message] = parse_form(form(fixture, "x_whatsapp_inbound_button.json"), "inbound", now=NOW).messages

    assert (message.kind, message.text) == ("button_reply", "確認訂單")
    assert message.payload == {
        "id": "confirm-order-1024",
        "title": "確認訂單",
        "payload": "confirm-order-1024",
    }
    assert message.reply_to_provider_id == "MM4f3e2d1c0b9a87654321fedcba098765"


def test_whatsapp_customer_known_only_by_user_id(fixture: Any) -> None:
    [message] = parse_form(form(fixture, "x_whatsapp_inbound_user_id.json"), "inbound", now=NOW).messages

    assert message.identities == (IdentityRef("whatsapp_user", "HK.50817736420019387125"),)
    assert message.profile_name == "黃小姐"


def test_receipts(fixture: Any) -> None:
    [delivered] = parse_form(form(fixture, "x_status_delivered.json"), "status", now=NOW).statuses
    [read] = parse_form(form(fixture, "x_status_whatsapp_read.json"), "status", now=NOW).statuses
    [undelivered] = parse_form(form(fixture, "x_status_undelivered.json"), "status", now=NOW).statuses
    [outside] = parse_form(form(fixture, "x_status_whatsapp_failed_63016.json"), "status", now=NOW).statuses

    assert (delivered.provider_message_id, delivered.status, delivered.at) == (
        "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "delivered",
        NOW,
    )
    assert delivered.error_code is None
    assert (read.provider_message_id, read.status) == ("SMbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", "read")
    assert (undelivered.status, undelivered.error_code) == ("failed", "30003")
    assert undelivered.error_reason == "unreachable handset (switched off or out of coverage)"
    assert (outside.status, outside.error_code) == ("failed", "63016")
    assert outside.error_reason == "outside the WhatsApp 24-hour window; only a template can be sent"


def test_steps_before_sending_are_ignored(fixture: Any) -> None:
    assert parse_form(form(fixture, "x_status_queued.json"), "status").statuses == ()
    for step in ("sending", "accepted", "scheduled"):
        body = urlencode({"MessageSid": "SM1", "MessageStatus": step}).encode()
        assert parse_form(body, "status").statuses == ()


def test_event_ids(fixture: Any) -> None:
    def request(name: str) -> WebhookRequest:
        return WebhookRequest(method="POST", url="", headers={}, body=form(fixture, name))

    assert SMS.event_id(CHANNEL, request("x_sms_inbound.json"), "inbound") == "SM1d2f3a4b5c6d7e8f9a0b1c2d3e4f5a6b"
    assert SMS.event_id(CHANNEL, request("x_status_delivered.json"), "status") == (
        "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:delivered"
    )
    assert SMS.event_id(CHANNEL, request("x_status_undelivered.json"), "status") == (
        "SMaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa:undelivered:30003"
    )


def test_a_form_without_message_sid_is_malformed() -> None:
    with pytest.raises(ParseError):
        SMS.event_id(CHANNEL, WebhookRequest(method="POST", url="", headers={}, body=b"Body=hi"), "inbound")
    with pytest.raises(ParseError):
        parse_form(b"\xff\xfe=1", "inbound")


def test_ack_is_empty_twiml() -> None:
    assert SMS.ack_body("inbound") == (b'<?xml version="1.0" encoding="UTF-8"?><Response/>', "text/xml")
