"""WhatsApp buttons through Twilio: Content resources made once per shape, shown natively, taps come back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from channels.preview import seen
from channels.sandbox import RunningSandbox, SandboxState, serve_sandbox
from channels.sandbox_secrets import sandbox_account_sid, sandbox_secret
from channels.twilio import TwilioSMS, TwilioWhatsApp
from channels.twilio import send as twilio_send
from channels.twilio.render import render
from channels.types import Button, ChannelConfig, IdentityRef, InboundMessage, OutboundMessage

WHATSAPP, SMS = TwilioWhatsApp(), TwilioSMS()
CUSTOMER = IdentityRef("phone", "+85291234567")
SIZES = (Button("S", id="size-s"), Button("M", id="size-m"), Button("L", id="size-l"))


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with serve_sandbox(SandboxState(receipt_delay=0.01, seed=13)) as running:
        yield running


@pytest.fixture(autouse=True)
def fresh(sandbox: RunningSandbox) -> None:
    sandbox.state.reset()
    sandbox.inbox.clear()
    sandbox.state.receipts = "off"
    twilio_send.CONTENT_SIDS.clear()


def channel(sandbox: RunningSandbox, channel_id: int, kind: str = "whatsapp_twilio") -> ChannelConfig:
    number = "whatsapp:+14155238886" if kind == "whatsapp_twilio" else "+14155552345"
    config = ChannelConfig(allow_private_urls=True, id=channel_id, kind=kind, config={"from_number": number},
                           public_url=sandbox.url)
    sandbox.state.add_channel(config)
    return config


def contents(sandbox: RunningSandbox, config: ChannelConfig) -> list[dict[str, Any]]:
    """The account's Content resources, read back through the Content API."""
    answer = httpx.get(f"{sandbox.api_base('twilio')}/v1/Content",
                       auth=(sandbox_account_sid(config), sandbox_secret(config)))
    assert answer.status_code == 200, answer.text
    return list(answer.json()["contents"])


def sizes(text: str = "哪個尺碼？") -> OutboundMessage:
    return OutboundMessage(to=CUSTOMER, kind="buttons", text=text, buttons=SIZES)


def test_reply_buttons_render_as_a_quick_reply_whose_words_are_variables(sandbox: RunningSandbox) -> None:
    rendered = render(channel(sandbox, 60), sizes(), whatsapp=True)

    assert rendered.content is not None
    assert rendered.content.types == {"twilio/quick-reply": {"body": "{{1}}", "actions": [
        {"title": "S", "id": "size-s"}, {"title": "M", "id": "size-m"}, {"title": "L", "id": "size-l"}]}}
    assert json.loads(rendered.arguments["content_variables"]) == {"1": "哪個尺碼？"}
    assert "body" not in rendered.arguments
    assert render(channel(sandbox, 60), sizes("Which size?"), whatsapp=True).content.key == rendered.content.key  # type: ignore[union-attr]


def test_a_link_button_is_a_call_to_action_with_its_path_a_variable(sandbox: RunningSandbox) -> None:
    message = OutboundMessage(to=CUSTOMER, kind="buttons", text="Your order",
                              buttons=(Button("View order", url="https://shop.example/l/ab12?c=7"),))

    rendered = render(channel(sandbox, 61), message, whatsapp=True)

    assert rendered.content is not None
    assert rendered.content.types == {"twilio/call-to-action": {"body": "{{1}}", "actions": [
        {"type": "URL", "title": "View order", "url": "https://shop.example/{{2}}"}]}}
    assert rendered.content.variables == {"1": "Your order", "2": "l/ab12?c=7"}
    preview = seen("whatsapp_twilio", message, channel(sandbox, 61))  # the preview reads the same rendering
    assert preview["native"] is True and preview["text"] == "Your order"
    assert preview["buttons"] == [{"title": "View order", "url": "https://shop.example/l/ab12?c=7"}]


def test_sms_and_more_than_three_buttons_stay_a_numbered_menu(sandbox: RunningSandbox) -> None:
    four = OutboundMessage(to=CUSTOMER, kind="buttons", text="Size?", buttons=(*SIZES, Button("XL", id="xl")))
    assert render(channel(sandbox, 62, "sms_twilio"), sizes(), whatsapp=False).content is None
    assert render(channel(sandbox, 62, "sms_twilio"), sizes(), whatsapp=False).arguments["body"] == (
        "哪個尺碼？\n\n1. S\n2. M\n3. L")
    rendered = render(channel(sandbox, 63), four, whatsapp=True)
    assert rendered.content is None and "1. S" in rendered.arguments["body"]
    assert render(channel(sandbox, 63), sizes("長" * 1025), whatsapp=True).content is None  # over WhatsApp's 1,024
    assert seen("sms_twilio", sizes(), channel(sandbox, 62, "sms_twilio"))["native"] is False


async def test_buttons_reach_the_phone_natively_and_the_content_is_made_once(sandbox: RunningSandbox) -> None:
    config = channel(sandbox, 64)

    first = await WHATSAPP.send(config, sizes())
    second = await WHATSAPP.send(config, sizes("What size for the linen shirt?"))

    assert first.ok and second.ok, (first, second)
    [made] = contents(sandbox, config)  # the second send used the cached SID
    assert [action["id"] for action in made["types"]["twilio/quick-reply"]["actions"]] == ["size-s", "size-m", "size-l"]
    assert made["friendly_name"].startswith("hub_") and made["variables"] == {"1": "哪個尺碼？"}
    one, two = sandbox.state.messages(64)
    assert (one.kind, one.text, [(b.title, b.id) for b in one.buttons]) == (
        "buttons", "哪個尺碼？", [("S", "size-s"), ("M", "size-m"), ("L", "size-l")])
    assert two.text == "What size for the linen shirt?"
    assert dict(one.wire)["ContentSid"] == made["sid"] and "Body" not in dict(one.wire)
    twilio_send.CONTENT_SIDS.clear()  # a restarted worker finds the resource by name instead of making another
    assert (await WHATSAPP.send(config, sizes("Size?"))).ok
    assert len(contents(sandbox, config)) == 1


async def test_a_tap_on_a_twilio_button_comes_back_as_a_button_reply(sandbox: RunningSandbox) -> None:
    config = channel(sandbox, 65)
    sent = await WHATSAPP.send(config, sizes())
    assert sent.ok

    answer = httpx.post(f"{sandbox.url}/sandbox/phone/65/send", json={"from": "+85291234567", "button_id": "size-m"})

    assert answer.status_code == 200, answer.text
    [webhook] = sandbox.inbox.received(channel_id=65, endpoint="inbound")
    WHATSAPP.verify(config, webhook.request, "inbound")
    [message] = WHATSAPP.parse(config, webhook.request.body, "inbound").messages
    assert isinstance(message, InboundMessage)
    assert message.kind == "button_reply" and message.text == "M"
    assert message.payload["id"] == "size-m" and message.payload["title"] == "M"
    assert message.reply_to_provider_id == sent.provider_message_id
