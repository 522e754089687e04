"""Meta parse on the recorded fixtures (tests/fixtures/meta/, see SOURCES.md): exact values."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from channels.meta import MetaWhatsApp
from channels.types import ChannelConfig, IdentityRef

ADAPTER = MetaWhatsApp()
CHANNEL = ChannelConfig(id=1, kind="whatsapp_meta", config={})
CHAN = (IdentityRef("phone", "+85291234567"), IdentityRef("whatsapp_user", "HK.30418825561937402618"))
YAMADA = (IdentityRef("phone", "+81901234567"),)


def parse(fixture_bytes: Any, name: str) -> Any:
    return ADAPTER.parse(CHANNEL, fixture_bytes("meta", name), "")


def only(fixture_bytes: Any, name: str) -> Any:
    [message] = parse(fixture_bytes, name).messages
    return message


def test_text_with_phone_and_user_id(fixture_bytes: Any) -> None:
    message = only(fixture_bytes, "text.json")

    assert message.provider_message_id == "wamid.HBgLODUyOTEyMzQ1NjcFQIAEhgUMTM5NkYwNzUxNDcwQkIzMzMyMTkAA=="
    assert message.identities == CHAN
    assert (message.kind, message.text) == ("text", "你好，我想查詢訂單 #1234 嘅送貨進度，謝謝！")
    assert message.profile_name == "陳大文"
    assert message.sent_at == datetime.fromtimestamp(1795312800, tz=UTC)


def test_hidden_phone_is_keyed_on_the_user_id(fixture_bytes: Any) -> None:
    events = parse(fixture_bytes, "user_id.json")

    [message] = events.messages
    assert message.identities == (IdentityRef("whatsapp_user", "HK.50817736420019387125"),)
    assert message.profile_name == "李小姐"
    assert message.text == "Hi, is the blue one still available? 仲有藍色嗎？"
    [status] = events.statuses
    assert status.status == "delivered"


def test_several_messages_and_statuses_match_contacts_by_id(fixture_bytes: Any) -> None:
    events = parse(fixture_bytes, "multi.json")

    chan, yamada = events.messages
    assert (chan.identities, chan.profile_name, chan.text) == (CHAN, "陳大文", "仲有冇貨？")
    assert yamada.identities == (
        IdentityRef("phone", "+81901234567"),
        IdentityRef("whatsapp_user", "JP.88213007164529031452"),
    )
    assert (yamada.profile_name, yamada.text) == ("山田太郎", "在庫はありますか？")
    assert [(s.status, s.at) for s in events.statuses] == [
        ("read", datetime.fromtimestamp(1795314002, tz=UTC)),
        ("delivered", datetime.fromtimestamp(1795314003, tz=UTC)),
    ]


def test_media(fixture_bytes: Any) -> None:
    image = only(fixture_bytes, "image.json")
    audio = only(fixture_bytes, "audio.json")

    assert (image.kind, image.text) == ("image", "收據 receipt")
    assert image.payload["media_id"] == "1106677706454703"
    assert image.payload["sha256"] == "LIZI0QPj3XrYdmDaDxJqFEO20hrBvT7AAMXiTiNzqQw="
    assert image.payload["url"].startswith("https://lookaside.fbsbx.com/whatsapp_business/attachments/")
    assert (audio.kind, audio.payload["voice"], audio.profile_name) == ("audio", True, "山田太郎")
    assert audio.identities == YAMADA
    for name, kind in (("video.json", "video"), ("document.json", "document"), ("sticker.json", "sticker")):
        message = only(fixture_bytes, name)
        assert message.kind == kind and message.payload["media_id"] and message.payload["mime_type"]


def test_location_contacts_and_order(fixture_bytes: Any) -> None:
    location = only(fixture_bytes, "location.json")
    contacts = only(fixture_bytes, "contacts.json")
    order = only(fixture_bytes, "order.json")

    assert location.payload["latitude"] == 22.2809 and location.payload["longitude"] == 114.1588
    assert (location.payload["name"], location.payload["address"]) == ("置地廣場 Landmark", "香港中環皇后大道中15號")
    assert (contacts.kind, contacts.text) == ("contacts", "佐藤花子")
    assert (order.kind, order.text, order.payload["catalog_id"]) == ("order", "請盡快發貨", "354160437058781")
    assert [item["product_retailer_id"] for item in order.payload["product_items"]] == ["SKU-TEA-001", "SKU-MUG-002"]


def test_replies(fixture_bytes: Any) -> None:
    button = only(fixture_bytes, "interactive_button_reply.json")
    row = only(fixture_bytes, "interactive_list_reply.json")
    quick = only(fixture_bytes, "button.json")
    reaction = only(fixture_bytes, "reaction.json")

    assert (button.kind, button.text, button.payload["id"]) == ("button_reply", "確認訂單", "order_confirm_1234")
    assert button.reply_to_provider_id == "wamid.HBgLODUyOTEyMzQ1NjcFQIAEhgUQ0I0QkM1MzlBRjNEMzk3NTQyQzMAA=="
    assert (row.kind, row.text) == ("list_reply", "11月25日 14:00")
    assert row.payload == {
        "id": "slot_2026-11-25_1400",
        "title": "11月25日 14:00",
        "description": "渋谷店でのお受け取り",
    }
    assert (quick.kind, quick.text, quick.payload["payload"]) == ("button_reply", "Stop promotions", "STOP_PROMOTIONS")
    assert (reaction.kind, reaction.text) == ("reaction", "👍")
    assert reaction.reply_to_provider_id == "wamid.HBgLODE5MDEyMzQ1NjcFQIAEhgUMEExRjI2M0QxQUNGMzYyQUUzMzEAA=="


def test_unsupported_keeps_the_raw_message(fixture_bytes: Any) -> None:
    message = only(fixture_bytes, "unsupported.json")

    assert message.kind == "unsupported" and message.profile_name == "Emily Carter"
    assert message.payload["raw"]["unsupported"] == {"type": "poll_creation"}
    assert message.identities == (IdentityRef("phone", "+14155550123"),)


def test_receipts(fixture_bytes: Any) -> None:
    statuses = [
        parse(fixture_bytes, f"status_{name}.json").statuses[0] for name in ("sent", "delivered", "read", "failed")
    ]

    assert [s.status for s in statuses] == ["sent", "delivered", "read", "failed"]
    assert statuses[0].provider_message_id == "wamid.HBgLODUyOTEyMzQ1NjcFQIAEhgUQ0I0QkM1MzlBRjNEMzk3NTQyQzMAA=="
    failed = statuses[3]
    assert failed.error_code == "131047"
    assert failed.error_reason == (
        "Message failed to send because more than 24 hours have passed since the customer last replied to this number."
    )
