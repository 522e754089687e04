"""Telegram rendering: which Bot API method and keyboard each message kind becomes."""

from __future__ import annotations

import pytest

from channels.telegram.render import RenderError, render
from channels.types import Button, IdentityRef, OutboundMessage

TO = IdentityRef("telegram", "123456789")


def test_more_than_three_buttons_get_a_row_each() -> None:
    call = render(
        OutboundMessage(
            to=TO,
            kind="buttons",
            text="尺碼",
            buttons=tuple(Button(size, id=size) for size in ("S", "M", "L", "XL")),
        )
    )

    keyboard = call.arguments["reply_markup"].inline_keyboard
    assert [[key.text for key in row] for row in keyboard] == [["S"], ["M"], ["L"], ["XL"]]


def test_template_is_plain_text_with_header_and_footer() -> None:
    call = render(
        OutboundMessage(
            to=TO,
            kind="template",
            template_name="order_shipped",
            template_params=("陳小明", "#1024"),
            header="出貨通知",
            footer="Hub Shop",
        )
    )

    assert call.method == "send_message"
    assert call.arguments == {"chat_id": 123456789, "text": "出貨通知\n\n陳小明 #1024\n\nHub Shop"}


@pytest.mark.parametrize(
    ("media_type", "method", "argument"),
    [
        ("image", "send_photo", "photo"),
        ("video", "send_video", "video"),
        ("audio", "send_audio", "audio"),
        ("document", "send_document", "document"),
        (None, "send_document", "document"),
    ],
)
def test_media_methods(media_type: str | None, method: str, argument: str) -> None:
    call = render(OutboundMessage(to=TO, kind="media", media_type=media_type, media_url="https://c.test/f"))

    assert call.method == method and call.arguments == {"chat_id": 123456789, argument: "https://c.test/f"}


@pytest.mark.parametrize(
    "message",
    [
        OutboundMessage(to=TO, text=""),
        OutboundMessage(to=TO, kind="media"),
        OutboundMessage(to=IdentityRef("telegram", "not-a-number"), text="hi"),
        OutboundMessage(to=IdentityRef("phone", "+85291234567"), text="hi"),
    ],
)
def test_messages_that_cannot_be_sent(message: OutboundMessage) -> None:
    with pytest.raises(RenderError):
        render(message)
