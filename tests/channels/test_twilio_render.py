"""Twilio rendering: SMS and WhatsApp `messages.create` arguments for each message kind."""

from __future__ import annotations

import json

import pytest

from channels.twilio.render import RenderError, create_arguments
from channels.types import Button, ChannelConfig, IdentityRef, OutboundMessage

TO = IdentityRef("phone", "+85291234567")
SMS = ChannelConfig(
    id=5,
    kind="sms_twilio",
    public_url="https://hub.example.test",
    config={"account_sid": "AC1", "auth_token": "t", "from_number": "+14155552345"},
)
WHATSAPP = ChannelConfig(
    id=6,
    kind="whatsapp_twilio",
    public_url="https://hub.example.test",
    config={"account_sid": "AC1", "auth_token": "t", "from_number": "+14155238886"},
)


def test_whatsapp_list_without_content_sid_is_a_numbered_menu() -> None:
    message = OutboundMessage(
        to=TO,
        kind="list",
        text="選擇門市",
        header="門市",
        footer="營業時間 10:00-22:00",
        buttons=(Button("中環", id="central"), Button("旺角", id="mongkok")),
    )

    arguments = create_arguments(WHATSAPP, message, whatsapp=True)

    assert arguments == {
        "to": "whatsapp:+85291234567",
        "from_": "whatsapp:+14155238886",  # the prefix is added when the config lacks it
        "status_callback": "https://hub.example.test/webhooks/twilio/6/status",
        "body": "門市\n\n選擇門市\n\n1. 中環\n2. 旺角\n\n營業時間 10:00-22:00",
    }


def test_whatsapp_buttons_with_content_sid_send_the_content_template() -> None:
    message = OutboundMessage(
        to=TO,
        kind="buttons",
        text="ignored",
        buttons=(Button("Yes", id="y"),),
        payload={"content_sid": "HX123", "content_variables": {"1": "陳大文"}},
    )

    arguments = create_arguments(WHATSAPP, message, whatsapp=True)

    assert arguments["content_sid"] == "HX123"
    assert json.loads(arguments["content_variables"]) == {"1": "陳大文"}
    assert "body" not in arguments


def test_sms_template_is_its_text_and_content_sid_is_ignored() -> None:
    message = OutboundMessage(to=TO, kind="template", text="Your order #1024 shipped", payload={"content_sid": "HX123"})

    arguments = create_arguments(SMS, message, whatsapp=False)

    assert arguments["body"] == "Your order #1024 shipped" and "content_sid" not in arguments


def test_product_falls_back_to_text_with_its_link() -> None:
    message = OutboundMessage(to=TO, kind="product", text="紅豆麻糬", payload={"url": "https://shop.test/p/1"})

    assert create_arguments(SMS, message, whatsapp=False)["body"] == "紅豆麻糬\nhttps://shop.test/p/1"


@pytest.mark.parametrize(
    "message",
    [
        OutboundMessage(to=TO, text=None),
        OutboundMessage(to=TO, kind="media"),
        OutboundMessage(to=IdentityRef("telegram", "1"), text="hi"),
    ],
)
def test_messages_that_cannot_be_sent(message: OutboundMessage) -> None:
    with pytest.raises(RenderError):
        create_arguments(SMS, message, whatsapp=False)


def test_a_channel_without_sender_cannot_send() -> None:
    bare = ChannelConfig(id=7, kind="sms_twilio", config={})
    with pytest.raises(RenderError, match="from_number"):
        create_arguments(bare, OutboundMessage(to=TO, text="hi"), whatsapp=False)
