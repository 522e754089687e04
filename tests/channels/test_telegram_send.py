"""Telegram send through python-telegram-bot: the exact Bot API request and the error mapping."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

import pytest

from channels.telegram import Telegram
from channels.telegram import send as telegram_send
from channels.types import Button, ChannelConfig, IdentityRef, OutboundMessage

ADAPTER = Telegram()
TOKEN = "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
CUSTOMER = IdentityRef("telegram", "7012345678")


def channel(url: str) -> ChannelConfig:
    config = {"bot_token": TOKEN, "secret_token": "webhook-secret", "api_base": url}
    return ChannelConfig(allow_private_urls=True, id=9, kind="telegram", config=config)


def form(request: Any) -> dict[str, str]:
    """The Bot API parameters PTB sent (form-encoded or multipart)."""
    content_type = request.headers["content-type"]
    if content_type.startswith("application/x-www-form-urlencoded"):
        return dict(parse_qsl(request.body.decode(), keep_blank_values=True))
    if content_type.startswith("application/json"):
        return {key: value if isinstance(value, str) else json.dumps(value) for key, value in request.json().items()}
    raise AssertionError(f"unexpected content type {content_type}")


async def test_text_is_send_message_on_the_bot_path(provider_server: Any, fixture: Any) -> None:
    provider_server.answer(200, fixture("telegram", "send_message_response.json"))

    result = await ADAPTER.send(channel(provider_server.url), OutboundMessage(to=CUSTOMER, text="您好！"))

    assert result.ok and result.provider_message_id == "7012345678:112"
    [request] = provider_server.requests
    assert request.method == "POST"
    assert request.path == f"/bot{TOKEN}/sendMessage"
    assert form(request) == {"chat_id": "7012345678", "text": "您好！"}


async def test_buttons_are_an_inline_keyboard(provider_server: Any, fixture: Any) -> None:
    provider_server.answer(200, fixture("telegram", "send_message_response.json"))
    long_id = "訂單" * 40  # 240 bytes of UTF-8
    message = OutboundMessage(
        to=CUSTOMER,
        kind="buttons",
        text="選擇",
        buttons=(
            Button("確認", id="confirm"),
            Button("詳情", id=long_id),
            Button("網站", url="https://shop.example.test"),
        ),
    )

    await ADAPTER.send(channel(provider_server.url), message)

    markup = json.loads(form(provider_server.requests[0])["reply_markup"])
    [row] = markup["inline_keyboard"]
    assert row[0] == {"text": "確認", "callback_data": "confirm"}
    assert row[1]["text"] == "詳情"
    assert row[1]["callback_data"] == "訂單" * 10 + "訂"  # 63 bytes: the next character would split
    assert len(row[1]["callback_data"].encode()) <= 64
    assert row[2] == {"text": "網站", "url": "https://shop.example.test"}


async def test_list_has_one_row_per_item(provider_server: Any, fixture: Any) -> None:
    provider_server.answer(200, fixture("telegram", "send_message_response.json"))
    message = OutboundMessage(
        to=CUSTOMER,
        kind="list",
        text="Menu",
        buttons=(Button("Tea", id="tea"), Button("Coffee", id="coffee")),
    )

    await ADAPTER.send(channel(provider_server.url), message)

    markup = json.loads(form(provider_server.requests[0])["reply_markup"])
    assert markup["inline_keyboard"] == [
        [{"text": "Tea", "callback_data": "tea"}],
        [{"text": "Coffee", "callback_data": "coffee"}],
    ]


async def test_image_is_send_photo(provider_server: Any, fixture: Any) -> None:
    answer = fixture("telegram", "send_message_response.json")
    provider_server.answer(200, answer)
    message = OutboundMessage(
        to=CUSTOMER, kind="media", media_type="image", media_url="https://cdn.example.test/p.jpg", text="新品"
    )

    await ADAPTER.send(channel(provider_server.url), message)

    request = provider_server.requests[0]
    assert request.path == f"/bot{TOKEN}/sendPhoto"
    assert form(request) == {
        "chat_id": "7012345678",
        "photo": "https://cdn.example.test/p.jpg",
        "caption": "新品",
    }


async def test_blocked_bot_is_permanent(provider_server: Any, fixture: Any) -> None:
    provider_server.answer(403, fixture("telegram", "error_403_blocked.json"))

    result = await ADAPTER.send(channel(provider_server.url), OutboundMessage(to=CUSTOMER, text="hi"))

    assert not result.ok and result.permanent
    assert result.error_code == "403" and result.error_reason == "the customer blocked the bot"


async def test_flood_control_is_retryable_after_the_given_seconds(provider_server: Any, fixture: Any) -> None:
    provider_server.answer(429, fixture("telegram", "error_429.json"))

    result = await ADAPTER.send(channel(provider_server.url), OutboundMessage(to=CUSTOMER, text="hi"))

    assert not result.ok and not result.permanent
    assert result.retry_after == 17.0


async def test_chat_not_found_is_permanent(provider_server: Any, fixture: Any) -> None:
    provider_server.answer(400, fixture("telegram", "x_error_400_chat_not_found.json"))

    result = await ADAPTER.send(channel(provider_server.url), OutboundMessage(to=CUSTOMER, text="hi"))

    assert result.permanent and result.error_reason is not None and "chat not found" in result.error_reason


async def test_bad_gateway_is_retryable(provider_server: Any, fixture: Any) -> None:
    provider_server.answer(502, fixture("telegram", "x_error_502.json"))

    result = await ADAPTER.send(channel(provider_server.url), OutboundMessage(to=CUSTOMER, text="hi"))

    assert not result.ok and not result.permanent and result.error_code == "network"


async def test_timeout_is_retryable(provider_server: Any, fixture: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(telegram_send, "SEND_TIMEOUT_SECONDS", 0.2)
    provider_server.answer(200, fixture("telegram", "send_message_response.json"), delay=1.0)

    result = await ADAPTER.send(channel(provider_server.url), OutboundMessage(to=CUSTOMER, text="hi"))

    assert not result.ok and not result.permanent and result.error_code == "timeout"  # the engine: `unknown`


async def test_unreachable_api_is_retryable() -> None:
    result = await ADAPTER.send(channel("http://127.0.0.1:9"), OutboundMessage(to=CUSTOMER, text="hi"))

    assert not result.ok and not result.permanent


async def test_phone_identity_cannot_be_reached(provider_server: Any) -> None:
    result = await ADAPTER.send(
        channel(provider_server.url), OutboundMessage(to=IdentityRef("phone", "+85291234567"), text="hi")
    )

    assert result.permanent and provider_server.requests == []


def test_bot_urls_follow_ptb_token_appending() -> None:
    assert telegram_send.bot_urls("https://api.telegram.org/") == (
        "https://api.telegram.org/bot",
        "https://api.telegram.org/file/bot",
    )


async def test_sandbox_channel_sends_to_hub_sandbox(provider_server: Any, fixture: Any) -> None:
    provider_server.answer(200, fixture("telegram", "send_message_response.json"))
    sandbox = ChannelConfig(allow_private_urls=True, id=9, kind="telegram", config={}, public_url=provider_server.url)

    result = await ADAPTER.send(sandbox, OutboundMessage(to=CUSTOMER, text="hi"))

    assert result.ok
    assert provider_server.requests[0].path == "/sandbox/telegram/botsandbox:9/sendMessage"


async def test_an_invoice_is_send_invoice_with_the_channels_provider_token(provider_server: Any, fixture: Any) -> None:
    answer = fixture("telegram", "send_message_response.json")
    answer["result"]["invoice"] = {"title": "ご注文 HX7K", "description": "シャツ × 1", "start_parameter": "",
                                   "currency": "JPY", "total_amount": 4800}
    provider_server.answer(200, answer)
    config = ChannelConfig(allow_private_urls=True, id=9, kind="telegram", config={
        "bot_token": TOKEN, "secret_token": "webhook-secret", "api_base": provider_server.url,
        "payment_provider_token": "284685063:TEST:secret"})
    invoice = {"title": "ご注文 HX7K", "description": "シャツ × 1", "payload": "order:7", "currency": "JPY",
               "prices": [{"label": "シャツ × 1", "amount": 4800}]}
    message = OutboundMessage(to=CUSTOMER, kind="invoice", text="ご注文 HX7K", payload={"invoice": invoice})

    result = await ADAPTER.send(config, message)

    assert result.ok
    [request] = provider_server.requests
    assert request.path == f"/bot{TOKEN}/sendInvoice"
    sent = form(request)
    assert (sent["payload"], sent["currency"], sent["provider_token"]) == ("order:7", "JPY", "284685063:TEST:secret")
    assert json.loads(sent["prices"]) == [{"label": "シャツ × 1", "amount": 4800}]


async def test_an_invoice_without_a_provider_token_is_refused_before_any_call(provider_server: Any) -> None:
    message = OutboundMessage(to=CUSTOMER, kind="invoice", payload={"invoice": {
        "title": "x", "payload": "order:1", "currency": "HKD", "prices": [{"label": "x", "amount": 100}]}})
    result = await ADAPTER.send(channel(provider_server.url), message)
    assert not result.ok and result.permanent and "payment_provider_token" in (result.error_reason or "")
    assert provider_server.requests == []


async def test_a_pre_checkout_query_is_answered(provider_server: Any) -> None:
    provider_server.answer(200, {"ok": True, "result": True})
    result = await ADAPTER.answer_pre_checkout(channel(provider_server.url), "4382bfdwdsb323b2d9", False,
                                               "売り切れました")
    assert result.ok
    [request] = provider_server.requests
    assert request.path == f"/bot{TOKEN}/answerPreCheckoutQuery"
    assert form(request) == {"pre_checkout_query_id": "4382bfdwdsb323b2d9", "ok": "false",
                             "error_message": "売り切れました"}
