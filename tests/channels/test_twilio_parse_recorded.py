"""Twilio parse on the recorded form posts (tests/fixtures/twilio/, see SOURCES.md): exact values."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from channels.twilio.parse import parse_form
from channels.types import IdentityRef

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
CHAN = (IdentityRef("phone", "+85291234567"), IdentityRef("whatsapp_user", "HK.30418825561937402618"))


def parse(fixture: Any, name: str, endpoint: str) -> Any:
    return parse_form(urlencode(fixture("twilio", name)).encode(), endpoint, now=NOW)


def test_sms(fixture: Any) -> None:
    [message] = parse(fixture, "sms_inbound.json", "inbound").messages

    assert message.provider_message_id == "SM996963c8cee415f9945051e280162403"
    assert message.identities == (IdentityRef("phone", "+85291234567"),)
    assert (message.kind, message.text) == ("text", "你好，我想查詢訂單 #1234 Thanks!")


def test_mms(fixture: Any) -> None:
    [message] = parse(fixture, "sms_inbound_mms.json", "inbound").messages

    assert (message.kind, message.text) == ("image", "Here are the photo and the invoice")
    assert [m["content_type"] for m in message.payload["media"]] == ["image/jpeg", "application/pdf"]
    assert message.identities == (IdentityRef("phone", "+14155550123"),)


def test_whatsapp_text_links_phone_and_user_id(fixture: Any) -> None:
    [message] = parse(fixture, "whatsapp_inbound.json", "inbound").messages

    assert message.identities == CHAN
    assert (message.profile_name, message.text) == ("陳大文", "你好！我想改送貨地址 🙏")


def test_whatsapp_button_and_location(fixture: Any) -> None:
    [button] = parse(fixture, "whatsapp_button_reply.json", "inbound").messages
    [location] = parse(fixture, "whatsapp_location.json", "inbound").messages

    assert (button.kind, button.text) == ("button_reply", "確認訂單")
    assert button.payload == {"id": "order_confirm_1234", "title": "確認訂單", "payload": "order_confirm_1234"}
    assert button.reply_to_provider_id == "SMd16d69f3cde66c5ef946c4c6c9d51282"
    assert location.kind == "location" and location.text is None
    assert location.payload == {
        "latitude": 22.2809,
        "longitude": 114.1588,
        "name": "置地廣場 Landmark",
        "address": "香港中環皇后大道中15號",
    }


def test_receipts(fixture: Any) -> None:
    sent, delivered, read = (
        parse(fixture, f"status_{name}.json", "status").statuses[0] for name in ("sent", "delivered", "read")
    )
    [failed] = parse(fixture, "status_failed.json", "status").statuses
    [undelivered] = parse(fixture, "status_undelivered.json", "status").statuses

    assert [s.status for s in (sent, delivered, read)] == ["sent", "delivered", "read"]
    assert sent.provider_message_id == "SMd16d69f3cde66c5ef946c4c6c9d51282" and sent.at == NOW
    assert (failed.status, failed.error_code) == ("failed", "63016")
    assert failed.error_reason == "outside the WhatsApp 24-hour window; only a template can be sent"
    assert (undelivered.status, undelivered.error_code) == ("failed", "30003")
    assert undelivered.provider_message_id == "SM8d6c7016e5c21210ae05f6a5132f3423"
