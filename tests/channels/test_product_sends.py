"""Product cards on each channel keep what sells: the picture where the channel can show one (a Meta image
header, Telegram `sendPhoto` with the keyboard, the web chat card), the product's short link on SMS; and a
Telegram button tap is answered with `answerCallbackQuery`. Each test asserts the exact provider request."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from channels.meta import MetaWhatsApp
from channels.telegram import Telegram
from channels.twilio import TwilioSMS, TwilioWhatsApp
from channels.types import Button, ChannelConfig, IdentityRef, OutboundMessage
from channels.webchat.render import card

IMAGE = "https://cdn.shop.test/silk-dress.jpg"
TOKEN = "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SID = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
PUBLIC_URL = "https://hub.example.test"
CART_BUTTONS = (Button("Add to cart", id="cart:add:12"), Button("View cart", id="cart:view"))


def product_card(to: IdentityRef) -> OutboundMessage:
    """What `catalog.chat.product_message` queues for one variant with a picture."""
    return OutboundMessage(to=to, kind="buttons", text="HK$680.00\nMulberry silk, lined.", header="Silk dress (M)",
                           media_url=IMAGE, media_type="image", buttons=CART_BUTTONS, payload={"link": "/p/12"})


def telegram_channel(url: str) -> ChannelConfig:
    config = {"bot_token": TOKEN, "secret_token": "webhook-secret", "api_base": url}
    return ChannelConfig(allow_private_urls=True, id=9, kind="telegram", config=config)


def meta_channel(url: str) -> ChannelConfig:
    config = {"phone_number_id": "106540352242922", "access_token": "EAAG-token", "app_secret": "s3cret",
              "verify_token": "verify-me", "api_base": url}
    return ChannelConfig(allow_private_urls=True, id=7, kind="whatsapp_meta", config=config)


def twilio_channel(url: str, kind: str, sender: str) -> ChannelConfig:
    config = {"account_sid": SID, "auth_token": "tok3n", "from_number": sender, "api_base": url}
    return ChannelConfig(allow_private_urls=True, id=5, kind=kind, config=config, public_url=PUBLIC_URL)


def bot_params(request: Any) -> dict[str, Any]:
    """The Bot API parameters PTB sent, objects decoded."""
    if request.headers["content-type"].startswith("application/json"):
        raw = request.json()
    else:
        raw = dict(parse_qsl(request.body.decode(), keep_blank_values=True))
    return {key: json.loads(value) if key == "reply_markup" and isinstance(value, str) else value
            for key, value in raw.items()}


async def test_telegram_product_card_is_a_photo_with_caption_and_inline_keyboard(provider_server: Any,
                                                                                 fixture: Any) -> None:
    provider_server.answer(200, fixture("telegram", "send_message_response.json"))

    result = await Telegram().send(telegram_channel(provider_server.url),
                                   product_card(IdentityRef("telegram", "7012345678")))

    assert result.ok
    [request] = provider_server.requests
    assert request.path == f"/bot{TOKEN}/sendPhoto"
    assert bot_params(request) == {
        "chat_id": "7012345678",
        "photo": IMAGE,
        "caption": "Silk dress (M)\n\nHK$680.00\nMulberry silk, lined.",
        "reply_markup": {"inline_keyboard": [[{"text": "Add to cart", "callback_data": "cart:add:12"},
                                              {"text": "View cart", "callback_data": "cart:view"}]]},
    }


async def test_telegram_caption_is_cut_to_1024_characters(provider_server: Any, fixture: Any) -> None:
    provider_server.answer(200, fixture("telegram", "send_message_response.json"))
    message = OutboundMessage(to=IdentityRef("telegram", "7012345678"), kind="buttons", text="絲" * 2000,
                              media_url=IMAGE, media_type="image", buttons=CART_BUTTONS)

    await Telegram().send(telegram_channel(provider_server.url), message)

    caption = bot_params(provider_server.requests[0])["caption"]
    assert len(caption) == 1024 and caption.endswith("…")


async def test_a_picture_telegram_cannot_fetch_still_sends_the_card_as_text(provider_server: Any,
                                                                            fixture: Any) -> None:
    refused = {"ok": False, "error_code": 400, "description": "Bad Request: failed to get HTTP URL content"}
    sent = fixture("telegram", "send_message_response.json")
    reply = type(provider_server.reply)  # the fake server's answer type
    provider_server.respond = lambda request: reply(400, refused) if request.path.endswith("/sendPhoto") \
        else reply(200, sent)

    result = await Telegram().send(telegram_channel(provider_server.url),
                                   product_card(IdentityRef("telegram", "7012345678")))

    assert result.ok
    photo, text = provider_server.requests
    assert photo.path.endswith("/sendPhoto") and text.path == f"/bot{TOKEN}/sendMessage"
    params = bot_params(text)
    assert params["text"] == "Silk dress (M)\n\nHK$680.00\nMulberry silk, lined."
    assert [key["callback_data"] for key in params["reply_markup"]["inline_keyboard"][0]] == ["cart:add:12",
                                                                                             "cart:view"]


async def test_telegram_tap_is_answered_with_answer_callback_query(provider_server: Any) -> None:
    provider_server.answer(200, {"ok": True, "result": True})

    result = await Telegram().acknowledge(telegram_channel(provider_server.url),
                                          {"callback_query_id": "4382bfdwdsb323b2d9", "data": "cart:view"})

    assert result is not None and result.ok
    [request] = provider_server.requests
    assert request.path == f"/bot{TOKEN}/answerCallbackQuery"
    assert bot_params(request) == {"callback_query_id": "4382bfdwdsb323b2d9"}


async def test_a_message_that_is_no_tap_is_not_acknowledged(provider_server: Any) -> None:
    assert await Telegram().acknowledge(telegram_channel(provider_server.url), {"text": "hi"}) is None
    assert await MetaWhatsApp().acknowledge(meta_channel(provider_server.url), {"id": "cart:view"}) is None
    assert provider_server.requests == []


async def test_whatsapp_product_card_has_an_image_header_and_the_title_leads_the_body(provider_server: Any,
                                                                                      fixture: Any) -> None:
    provider_server.answer(200, fixture("meta", "send_response.json"))

    await MetaWhatsApp().send(meta_channel(provider_server.url), product_card(IdentityRef("phone", "+85291234567")))

    assert provider_server.requests[0].json() == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "85291234567", "type": "interactive",
        "interactive": {
            "type": "button",
            "header": {"type": "image", "image": {"link": IMAGE}},
            "body": {"text": "*Silk dress (M)*\nHK$680.00\nMulberry silk, lined."},
            "action": {"buttons": [{"type": "reply", "reply": {"id": "cart:add:12", "title": "Add to cart"}},
                                   {"type": "reply", "reply": {"id": "cart:view", "title": "View cart"}}]},
        },
    }


async def test_whatsapp_list_keeps_a_text_header_because_lists_take_no_image(provider_server: Any,
                                                                             fixture: Any) -> None:
    provider_server.answer(200, fixture("meta", "send_response.json"))
    rows = tuple(Button(f"Silk dress… ({size})", id=f"cart:add:{n}", description="HK$680.00")
                 for n, size in enumerate(("S", "M", "L"), start=1))
    message = OutboundMessage(to=IdentityRef("phone", "+85291234567"), kind="list", text="Pick a size",
                              header="Silk dress", media_url=IMAGE, media_type="image", buttons=rows,
                              list_button="Sizes")

    await MetaWhatsApp().send(meta_channel(provider_server.url), message)

    interactive = provider_server.requests[0].json()["interactive"]
    assert interactive["type"] == "list"
    assert interactive["header"] == {"type": "text", "text": "Silk dress"}
    assert [row["title"] for row in interactive["action"]["sections"][0]["rows"]] == [
        "Silk dress… (S)", "Silk dress… (M)", "Silk dress… (L)"]


async def test_sms_product_card_carries_the_short_product_link(provider_server: Any, fixture: Any) -> None:
    provider_server.answer(201, fixture("twilio", "message_create_response.json"))

    await TwilioSMS().send(twilio_channel(provider_server.url, "sms_twilio", "+14155552345"),
                           product_card(IdentityRef("phone", "+85291234567")))

    form = dict(provider_server.requests[0].form())
    assert form["Body"] == ("Silk dress (M)\n\nHK$680.00\nMulberry silk, lined.\nhttps://hub.example.test/p/12"
                            "\n\n1. Add to cart\n2. View cart")
    assert "MediaUrl" not in form  # SMS stays SMS: no MMS charge, and Hong Kong carriers drop most MMS


async def test_twilio_whatsapp_product_card_sends_the_picture(provider_server: Any, fixture: Any) -> None:
    provider_server.answer(201, fixture("twilio", "message_create_response.json"))

    await TwilioWhatsApp().send(twilio_channel(provider_server.url, "whatsapp_twilio", "whatsapp:+14155238886"),
                                product_card(IdentityRef("phone", "+85291234567")))

    form = dict(provider_server.requests[0].form())
    assert form["MediaUrl"] == IMAGE
    assert form["Body"].startswith("Silk dress (M)\n\nHK$680.00")


def test_web_chat_product_card_shows_the_picture_above_the_buttons() -> None:
    shown = card(product_card(IdentityRef("webchat", "visitor-1")))

    assert shown["kind"] == "buttons"
    assert shown["media"] == {"url": IMAGE, "type": "image"}
    assert [button["id"] for button in shown["buttons"]] == ["cart:add:12", "cart:view"]
