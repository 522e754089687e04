"""Meta parse: recorded Cloud API webhook bodies become the right neutral events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from channels.meta import MetaWhatsApp
from channels.types import ChannelConfig, IdentityRef, ParseError

ADAPTER = MetaWhatsApp()
CHANNEL = ChannelConfig(id=1, kind="whatsapp_meta", config={})


def parse(fixture_bytes: Any, name: str) -> Any:
    return ADAPTER.parse(CHANNEL, fixture_bytes("meta", name), "")


def test_messages_and_statuses_of_every_entry_in_order(fixture_bytes: Any) -> None:
    events = parse(fixture_bytes, "x_text_image_and_status.json")

    text, image = events.messages
    assert text.provider_message_id == "wamid.HBgLODUyOTEyMzQ1NjcVAgASGBQzQUFERjg0NDEzNDdFODU3MUMxMAA="
    assert text.kind == "text" and text.text == "你好，請問這件外套有M碼嗎？"
    assert text.identities == (IdentityRef("phone", "+85291234567"),)
    assert text.profile_name == "陳大文"
    assert text.sent_at == datetime(2025, 2, 12, 0, 43, 44, tzinfo=UTC)
    assert text.reply_to_provider_id is None

    assert image.kind == "image" and image.text == "這個顏色"
    assert image.payload == {
        "media_id": "2754859441498128",
        "mime_type": "image/jpeg",
        "sha256": "81d3bd8a8db4868c9520ed47186e8b7c5789e61ff79f7f834be6950b808a90d3",
        "caption": "這個顏色",
        "filename": None,
    }
    assert image.reply_to_provider_id == "wamid.HBgLODUyOTEyMzQ1NjcVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"

    [status] = events.statuses
    assert status.provider_message_id == "wamid.HBgLODUyOTEyMzQ1NjcVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA"
    assert status.status == "read"
    assert status.at == datetime.fromtimestamp(1739321031, tz=UTC)


def test_media_kinds_keep_their_file_fields(fixture_bytes: Any) -> None:
    audio, video, document, sticker = parse(fixture_bytes, "x_media.json").messages

    assert (audio.kind, audio.text) == ("audio", None)
    assert audio.payload["media_id"] == "1003383421387256"
    assert audio.payload["mime_type"] == "audio/ogg; codecs=opus"
    assert audio.payload["voice"] is True
    assert (video.kind, video.text) == ("video", "動画です")
    assert (document.kind, document.text) == ("document", "請求書")
    assert document.payload["filename"] == "請求書.pdf"
    assert sticker.kind == "sticker" and sticker.payload["mime_type"] == "image/webp"
    assert {message.profile_name for message in (audio, video, document, sticker)} == {"山田太郎"}
    assert audio.identities == (IdentityRef("phone", "+819012345678"),)


def test_location_and_contacts(fixture_bytes: Any) -> None:
    location, contacts = parse(fixture_bytes, "x_location_contacts.json").messages

    assert location.kind == "location"
    assert location.payload["latitude"] == 37.483307 and location.payload["longitude"] == -122.148981
    assert location.payload["name"] == "Philz Coffee"
    assert location.payload["address"] == "1 Hacker Way, Menlo Park, CA 94025"
    assert contacts.kind == "contacts" and contacts.text == "Barbara J. Johnson"
    assert contacts.payload["contacts"][0]["phones"][0]["wa_id"] == "16505551234"


def test_interactive_and_template_replies(fixture_bytes: Any) -> None:
    button, row, flow, quick = parse(fixture_bytes, "x_replies.json").messages

    assert (button.kind, button.text) == ("button_reply", "確認訂單")
    assert button.payload == {"id": "confirm-order", "title": "確認訂單"}
    assert button.reply_to_provider_id == "wamid.buttons-sent"
    assert (row.kind, row.text) == ("list_reply", "順豐速運")
    assert row.payload == {"id": "priority_express", "title": "順豐速運", "description": "隔日到貨"}
    assert flow.kind == "interactive" and flow.text == "Sent"
    assert flow.payload["response"] == {"flow_token": "AQAAAAACS5FpgQ_cAAAAAD0QI3s.", "size": "M"}
    assert (quick.kind, quick.text) == ("button_reply", "停止推廣")
    assert quick.payload["payload"] == "STOP_PROMOTIONS" and quick.payload["id"] == "STOP_PROMOTIONS"
    assert quick.reply_to_provider_id == "wamid.template-sent"
    assert {m.profile_name for m in (button, row, flow, quick)} == {"林小美"}


def test_order_reaction_system_and_unknown_types(fixture_bytes: Any) -> None:
    order, reaction, system, unsupported, unknown = parse(
        fixture_bytes, "x_order_reaction_system_unsupported.json"
    ).messages

    assert order.kind == "order" and order.text == "Love these!"
    assert order.payload["catalog_id"] == "194836987003835"
    assert order.payload["product_items"] == [
        {"product_retailer_id": "di9ozbzfi4", "quantity": 2, "item_price": 7.99, "currency": "USD"}
    ]
    assert reaction.kind == "reaction" and reaction.text == "😀"
    assert reaction.payload == {
        "message_id": "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJDQjZCMzlEQUE4OTJBMTE4RTUA",
        "emoji": "😀",
    }
    assert reaction.reply_to_provider_id == reaction.payload["message_id"]
    assert system.kind == "system" and system.payload["type"] == "user_changed_number"
    assert unsupported.kind == "unsupported"
    assert unsupported.payload["raw"]["errors"][0]["code"] == 131051
    assert unknown.kind == "unsupported" and unknown.payload == {
        "raw": {
            "from": "16505551234",
            "id": "wamid.brand-new-type",
            "timestamp": "1739321028",
            "type": "hologram",
            "hologram": {"frames": 3},
        }
    }


def test_receipts_with_errors_and_unknown_statuses_skipped(fixture_bytes: Any) -> None:
    events = parse(fixture_bytes, "x_statuses.json")

    assert events.messages == ()
    sent, delivered, failed = events.statuses
    assert (sent.provider_message_id, sent.status) == ("wamid.sent", "sent")
    assert delivered.status == "delivered" and delivered.error_code is None
    assert failed.status == "failed" and failed.error_code == "131047"
    assert failed.error_reason == (
        "Message failed to send because more than 24 hours have passed since the customer last replied to this number."
    )


def test_customer_without_phone_is_keyed_on_user_id(fixture_bytes: Any) -> None:
    events = parse(fixture_bytes, "x_bsuid.json")

    hidden, both = events.messages
    assert hidden.identities == (IdentityRef("whatsapp_user", "HK.50817736420019387125"),)
    assert hidden.profile_name == "黃小姐" and hidden.text == "有冇貨？"
    assert both.identities == (
        IdentityRef("phone", "+85261234567"),
        IdentityRef("whatsapp_user", "HK.71029384756102938475"),
    )
    assert both.profile_name == "Lee Ka Ho"
    assert [s.provider_message_id for s in events.statuses] == ["wamid.to-bsuid"]


def test_other_fields_and_objects_give_no_events(fixture_bytes: Any) -> None:
    assert parse(fixture_bytes, "x_template_status_update.json").messages == ()
    assert ADAPTER.parse(CHANNEL, b'{"object": "page", "entry": []}', "").messages == ()


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"\xff\xfe"])
def test_malformed_bodies_raise_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError):
        ADAPTER.parse(CHANNEL, body, "")


def test_a_status_gives_back_the_reference_hub_sent() -> None:
    body = (b'{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages","value":'
            b'{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881","phone_number_id":"1"},'
            b'"statuses":[{"id":"wamid.X","status":"delivered","timestamp":"1763830000","recipient_id":"85291234567",'
            b'"biz_opaque_callback_data":"hub:42"},'
            b'{"id":"wamid.Y","status":"read","timestamp":"1763830001","recipient_id":"85291234567"}]}}]}]}')
    with_reference, without = ADAPTER.parse(CHANNEL, body, "").statuses
    assert (with_reference.provider_message_id, with_reference.reference) == ("wamid.X", "hub:42")
    assert without.reference is None
