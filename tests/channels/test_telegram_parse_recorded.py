"""Telegram parse on the recorded updates (tests/fixtures/telegram/, see SOURCES.md): exact values."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from channels.telegram.parse import parse_update
from channels.types import IdentityRef, ProfileUpdate

NOW = datetime(2026, 11, 22, 10, 0, tzinfo=UTC)
CHAN = (IdentityRef("telegram", "7012345678"),)
YAMADA = (IdentityRef("telegram", "7098765432"),)


def parse(fixture_bytes: Any, name: str) -> Any:
    return parse_update(fixture_bytes("telegram", name), now=NOW)


def largest_photo_id(fixture_bytes: Any) -> str:
    sizes = json.loads(fixture_bytes("telegram", "photo.json"))["message"]["photo"]
    return str(sizes[-1]["file_id"])  # Telegram lists sizes from smallest to largest


def only(fixture_bytes: Any, name: str) -> Any:
    [message] = parse(fixture_bytes, name).messages
    return message


def test_text(fixture_bytes: Any) -> None:
    message = only(fixture_bytes, "text.json")

    assert message.provider_message_id == "7012345678:101"
    assert (message.kind, message.text) == ("text", "你好，我想查詢訂單 #1234 嘅送貨進度")
    assert message.identities == CHAN
    assert (message.profile_name, message.locale) == ("大文 陳", "zh-hant")
    assert message.sent_at == datetime.fromtimestamp(1795312800, tz=UTC)


def test_media(fixture_bytes: Any) -> None:
    photo = only(fixture_bytes, "photo.json")
    voice = only(fixture_bytes, "voice.json")
    video = only(fixture_bytes, "video.json")
    document = only(fixture_bytes, "document.json")
    sticker = only(fixture_bytes, "sticker.json")

    assert photo.kind == "image"
    assert photo.payload["file_id"] == largest_photo_id(fixture_bytes)
    assert (voice.kind, voice.payload["mime_type"], voice.payload["duration"]) == ("audio", "audio/ogg", 4)
    assert voice.identities == YAMADA and voice.locale == "ja"
    assert (video.kind, video.payload["file_name"], video.payload["mime_type"]) == (
        "video",
        "unboxing.mp4",
        "video/mp4",
    )
    assert (document.kind, document.text) == ("document", "請參閱附件發票")
    assert document.payload["file_name"] == "invoice-2026-11.pdf"
    assert (sticker.kind, sticker.payload["emoji"]) == ("sticker", "👍")


def test_location_and_contact(fixture_bytes: Any) -> None:
    location = only(fixture_bytes, "location.json")
    contact = only(fixture_bytes, "contact.json")

    assert location.payload == {"latitude": 22.280923, "longitude": 114.158812, "name": None, "address": None}
    assert (contact.kind, contact.text) == ("contacts", "花子 佐藤")
    assert contact.payload["contacts"][0]["phone_number"] == "+818012345678"


def test_edit_and_callback(fixture_bytes: Any) -> None:
    edit = only(fixture_bytes, "edited_message.json")
    callback = only(fixture_bytes, "callback_query.json")

    assert edit.provider_message_id == "7012345678:101:edited:1795312890"
    assert edit.text == "你好，我想查詢訂單 #1235 嘅送貨進度"
    assert (callback.kind, callback.text) == ("callback", "order:confirm:1234")
    assert callback.payload == {
        "callback_query_id": "3045931842395817734",
        "message_id": "7012345678:110",
        "data": "order:confirm:1234",
    }
    assert callback.identities == CHAN


def test_blocked_bot(fixture_bytes: Any) -> None:
    events = parse(fixture_bytes, "my_chat_member_blocked.json")

    assert events.profiles == (
        ProfileUpdate(identities=(IdentityRef("telegram", "6123456789"),), profile_name="Emily Carter", blocked=True),
    )


def test_payments(fixture_bytes: Any) -> None:
    checkout = only(fixture_bytes, "pre_checkout_query.json")
    paid = only(fixture_bytes, "successful_payment.json")

    assert (checkout.kind, checkout.identities) == ("payment", YAMADA)
    assert checkout.payload["pre_checkout_query"]["total_amount"] == 4800
    assert checkout.payload["pre_checkout_query"]["currency"] == "JPY"
    assert paid.kind == "payment" and paid.payload["successful_payment"]["invoice_payload"] == "order:5678"


def test_a_poll_update_is_ignored(fixture_bytes: Any) -> None:
    events = parse(fixture_bytes, "unknown.json")
    assert (events.messages, events.statuses, events.profiles) == ((), (), ())
