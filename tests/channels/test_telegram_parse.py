"""Telegram parse: recorded Bot API updates become the right neutral events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from channels.telegram import Telegram
from channels.telegram.parse import parse_update
from channels.types import ChannelConfig, IdentityRef, ParseError, ProfileUpdate, WebhookRequest

ADAPTER = Telegram()
CHANNEL = ChannelConfig(id=8, kind="telegram", config={})
XIAOMING = (IdentityRef("telegram", "123456789"),)
NOW = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)


def parse(fixture_bytes: Any, name: str) -> Any:
    return parse_update(fixture_bytes("telegram", name), now=NOW)


def test_text_message(fixture_bytes: Any) -> None:
    [message] = parse(fixture_bytes, "x_message_text.json").messages

    assert message.provider_message_id == "123456789:1365"
    assert message.identities == XIAOMING
    assert (message.kind, message.text) == ("text", "/start order_1024")
    assert message.profile_name == "小明 陳" and message.locale == "zh-hans"
    assert message.sent_at == datetime(2025, 1, 1, tzinfo=UTC)
    assert message.payload == {"entities": [{"offset": 0, "length": 6, "type": "bot_command"}]}


def test_photo_takes_the_largest_size_and_the_reply(fixture_bytes: Any) -> None:
    [message] = parse(fixture_bytes, "x_message_reply_photo.json").messages

    assert (message.kind, message.text) == ("image", "這個破了")
    assert message.payload == {
        "file_id": "AgACAgQAAxkBAAIBZmZ-large",
        "file_unique_id": "AQADlarge",
        "mime_type": None,
        "file_size": 87650,
        "width": 1280,
        "height": 960,
    }
    assert message.reply_to_provider_id == "123456789:1360"


def test_voice_and_document(fixture_bytes: Any) -> None:
    [voice] = parse(fixture_bytes, "x_message_voice.json").messages
    [document] = parse(fixture_bytes, "x_message_document.json").messages

    assert voice.kind == "audio" and voice.profile_name == "小明"
    assert voice.payload == {
        "file_id": "AwACAgQAAxkBAAIBaGZ-voice",
        "file_unique_id": "AgADvoice",
        "mime_type": "audio/ogg",
        "file_size": 17643,
        "duration": 4,
        "media_type": "voice",
    }
    assert document.kind == "document" and document.payload["file_name"] == "請求書.pdf"
    assert document.payload["mime_type"] == "application/pdf" and document.locale == "ja"
    assert document.profile_name == "Hanako Sato"


def test_location_with_venue_and_contact(fixture_bytes: Any) -> None:
    [location] = parse(fixture_bytes, "x_message_location_venue.json").messages
    [contact] = parse(fixture_bytes, "x_message_contact.json").messages

    assert location.kind == "location" and location.text == "東京タワー"
    assert location.payload == {
        "latitude": 35.658581,
        "longitude": 139.745433,
        "name": "東京タワー",
        "address": "東京都港区芝公園4-2-8",
    }
    assert contact.kind == "contacts" and contact.text == "Hanako Sato"
    assert contact.payload["contacts"][0]["phone_number"] == "+819012345678"


def test_an_edit_is_a_new_event_pointing_at_the_original(fixture_bytes: Any) -> None:
    [edit] = parse(fixture_bytes, "x_edited_message.json").messages

    assert edit.provider_message_id == "123456789:1365:edited:1735689630"
    assert edit.text == "我要M碼"
    assert edit.payload["edited"] is True and edit.payload["original_provider_message_id"] == "123456789:1365"
    assert edit.sent_at == datetime.fromtimestamp(1735689630, tz=UTC)


def test_callback_query(fixture_bytes: Any) -> None:
    [callback] = parse(fixture_bytes, "x_callback_query.json").messages

    assert callback.provider_message_id == "callback:4382bfdwdsb323b2d9"
    assert (callback.kind, callback.text) == ("callback", "confirm")
    assert callback.payload == {
        "callback_query_id": "4382bfdwdsb323b2d9",
        "message_id": "123456789:4242",
        "data": "confirm",
    }
    assert callback.reply_to_provider_id == "123456789:4242"
    assert callback.identities == XIAOMING and callback.sent_at == NOW


def test_blocking_and_unblocking_the_bot(fixture_bytes: Any) -> None:
    kicked = parse(fixture_bytes, "x_my_chat_member_kicked.json")
    member = parse(fixture_bytes, "x_my_chat_member_member.json")

    assert kicked.messages == ()
    assert kicked.profiles == (ProfileUpdate(identities=XIAOMING, profile_name="小明 陳", blocked=True),)
    assert member.profiles == (ProfileUpdate(identities=XIAOMING, profile_name="小明 陳", blocked=False),)


def test_payments(fixture_bytes: Any) -> None:
    [checkout] = parse(fixture_bytes, "x_pre_checkout_query.json").messages
    [paid] = parse(fixture_bytes, "x_successful_payment.json").messages

    assert checkout.kind == "payment" and checkout.provider_message_id == "pre_checkout:7182736451827364"
    assert checkout.payload["pre_checkout_query"]["total_amount"] == 39800
    assert checkout.payload["pre_checkout_query"]["invoice_payload"] == "order:1024"
    assert paid.kind == "payment"
    assert paid.payload["successful_payment"]["telegram_payment_charge_id"] == "6723000000_1234567890"


def test_updates_hub_does_not_handle_give_no_events(fixture_bytes: Any) -> None:
    events = parse(fixture_bytes, "x_channel_post.json")
    assert (events.messages, events.statuses, events.profiles) == ((), (), ())


def test_event_id_is_the_update_id(fixture_bytes: Any) -> None:
    body = fixture_bytes("telegram", "x_callback_query.json")
    request = WebhookRequest(method="POST", url="", headers={}, body=body)
    assert ADAPTER.event_id(CHANNEL, request, "") == "873519349"


@pytest.mark.parametrize("body", [b"not json", b"[]", b'{"message": {}}', b'{"update_id": "7"}'])
def test_malformed_updates_raise_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError):
        ADAPTER.parse(CHANNEL, body, "")
