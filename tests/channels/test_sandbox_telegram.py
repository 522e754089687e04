"""The sandbox's Bot API, driven by the real Telegram adapter through python-telegram-bot."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import httpx
import pytest

from channels.sandbox import RunningSandbox, SandboxState, serve_sandbox
from channels.telegram import Telegram
from channels.types import Button, ChannelConfig, IdentityRef, OutboundMessage

ADAPTER = Telegram()
CUSTOMER = IdentityRef("telegram", "700100200")
TOKEN = "7000000001:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with serve_sandbox(SandboxState(receipt_delay=0.01, seed=9)) as running:
        yield running


@pytest.fixture(autouse=True)
def fresh(sandbox: RunningSandbox) -> None:
    sandbox.state.reset()
    sandbox.inbox.clear()
    sandbox.state.receipts = "off"


def sandbox_bot(sandbox: RunningSandbox, channel_id: int = 31) -> ChannelConfig:
    return ChannelConfig(allow_private_urls=True, id=channel_id, kind="telegram", config={}, public_url=sandbox.url)


def real_bot(sandbox: RunningSandbox, token: str = TOKEN) -> ChannelConfig:
    config = {"bot_token": token, "secret_token": "webhook-secret", "api_base": sandbox.api_base("telegram")}
    return ChannelConfig(allow_private_urls=True, id=32, kind="telegram", config=config, public_url=sandbox.url)


def bot_url(sandbox: RunningSandbox, method: str, token: str = "sandbox:31") -> str:
    return f"{sandbox.api_base('telegram')}/bot{token}/{method}"


async def test_messages_get_increasing_ids_per_chat(sandbox: RunningSandbox) -> None:
    channel = sandbox_bot(sandbox)

    first = await ADAPTER.send(channel, OutboundMessage(to=CUSTOMER, text="您好！"))
    second = await ADAPTER.send(channel, OutboundMessage(to=CUSTOMER, text="ご注文ありがとうございます"))
    other = await ADAPTER.send(channel, OutboundMessage(to=IdentityRef("telegram", "42"), text="hi"))

    assert (first.provider_message_id, second.provider_message_id) == ("700100200:1", "700100200:2")
    assert other.provider_message_id == "42:1"
    record = sandbox.state.messages(channel.id, customer="700100200")[0]
    assert record.wire == {"method": "sendMessage", "chat_id": "700100200", "text": "您好！"}
    assert record.status == "sent"  # on Telegram, accepted is sent: there are no receipts


async def test_an_inline_keyboard_is_recorded_as_buttons(sandbox: RunningSandbox) -> None:
    channel = sandbox_bot(sandbox)
    message = OutboundMessage(to=CUSTOMER, kind="buttons", text="確認訂單？", buttons=(
        Button("確認 ✅", id="order:confirm:1234"), Button("網站", url="https://shop.example.test")))

    assert (await ADAPTER.send(channel, message)).ok

    [record] = sandbox.state.messages(channel.id)
    assert [(b.kind, b.id, b.url) for b in record.buttons] == [
        ("callback", "order:confirm:1234", None), ("url", None, "https://shop.example.test")]
    assert record.extra["message"]["reply_markup"]["inline_keyboard"][0][0]["text"] == "確認 ✅"


async def test_a_photo_is_send_photo_with_its_link(sandbox: RunningSandbox) -> None:
    channel = sandbox_bot(sandbox)
    message = OutboundMessage(to=CUSTOMER, kind="media", media_type="image", media_url="https://cdn.example.test/a.jpg",
                              text="新品")

    assert (await ADAPTER.send(channel, message)).ok

    [record] = sandbox.state.messages(channel.id)
    assert record.kind == "photo" and record.text == "新品"
    assert record.media[0].url == "https://cdn.example.test/a.jpg"


async def test_a_wrong_token_is_unauthorized(sandbox: RunningSandbox) -> None:
    sandbox.state.add_channel(real_bot(sandbox))

    result = await ADAPTER.send(real_bot(sandbox, token="7000000001:wrong"), OutboundMessage(to=CUSTOMER, text="x"))

    assert not result.ok and result.permanent and result.error_code == "401"
    answer = httpx.post(bot_url(sandbox, "getMe", token="sandbox:nope"))
    assert answer.status_code == 401
    assert answer.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}


def test_a_registered_bot_is_itself_in_get_me(sandbox: RunningSandbox) -> None:
    sandbox.state.add_channel(real_bot(sandbox))

    answer = httpx.get(bot_url(sandbox, "getMe", token=TOKEN))

    assert answer.json()["ok"] is True
    assert answer.json()["result"]["id"] == 7000000001 and answer.json()["result"]["is_bot"] is True


def test_json_and_multipart_bodies_are_accepted(sandbox: RunningSandbox) -> None:
    as_json = httpx.post(bot_url(sandbox, "sendMessage"), json={"chat_id": 700100200, "text": "JSON 你好"})
    upload = httpx.post(bot_url(sandbox, "sendDocument"), data={"chat_id": "700100200", "caption": "發票"},
                        files={"document": ("invoice.pdf", b"%PDF-1.4", "application/pdf")})

    assert as_json.json()["result"]["text"] == "JSON 你好"
    document = upload.json()["result"]["document"]
    assert document["file_name"] == "invoice.pdf" and upload.json()["result"]["caption"] == "發票"
    assert [record.kind for record in sandbox.state.messages(31)] == ["text", "document"]


@pytest.mark.parametrize(
    ("method", "params", "status", "description"),
    [
        ("sendMessage", {"chat_id": "1"}, 400, "Bad Request: message text is empty"),
        ("sendMessage", {"text": "x"}, 400, "Bad Request: chat_id is empty"),
        ("sendMessage", {"chat_id": "1", "text": "x", "reply_markup": json.dumps(
            {"inline_keyboard": [[{"text": "a", "callback_data": "訂" * 30}]]})},
         400, "Bad Request: BUTTON_DATA_INVALID"),
        ("sendPhoto", {"chat_id": "1"}, 400, "Bad Request: there is no photo in the request"),
        ("editMessageReplyMarkup", {"chat_id": "1", "message_id": "99"}, 400, "Bad Request: message to edit not found"),
        ("sendSticker2", {"chat_id": "1"}, 404, "Not Found: method not found"),
    ],
)
def test_calls_telegram_would_refuse_are_refused(sandbox: RunningSandbox, method: str, params: dict[str, str],
                                                 status: int, description: str) -> None:
    answer = httpx.post(bot_url(sandbox, method), data=params)

    assert answer.status_code == status
    assert answer.json() == {"ok": False, "error_code": status, "description": description}


def test_invoices_callbacks_and_markup_edits_answer_as_telegram(sandbox: RunningSandbox) -> None:
    prices = json.dumps([{"label": "T恤", "amount": 19800}, {"label": "運費", "amount": 3000}])
    invoice = httpx.post(bot_url(sandbox, "sendInvoice"), data={
        "chat_id": "700100200", "title": "訂單 #1234", "description": "2 件", "payload": "order-1234",
        "currency": "HKD", "provider_token": "284685063:TEST:abc", "prices": prices,
        "reply_markup": json.dumps({"inline_keyboard": [[{"text": "付款", "pay": True}]]}),
    }).json()["result"]
    edited = httpx.post(bot_url(sandbox, "editMessageReplyMarkup"), data={
        "chat_id": "700100200", "message_id": str(invoice["message_id"]), "reply_markup": ""}).json()["result"]
    answered = httpx.post(bot_url(sandbox, "answerCallbackQuery"), data={"callback_query_id": "1"}).json()
    checkout = httpx.post(bot_url(sandbox, "answerPreCheckoutQuery"), data={"pre_checkout_query_id": "2",
                                                                           "ok": "true"}).json()

    assert invoice["invoice"]["total_amount"] == 22800 and invoice["invoice"]["currency"] == "HKD"
    assert "reply_markup" not in edited and edited["edit_date"] >= invoice["date"]
    assert answered == {"ok": True, "result": True} and checkout == {"ok": True, "result": True}


async def test_no_receipts_are_sent_for_telegram(sandbox: RunningSandbox) -> None:
    sandbox.state.receipts = "normal"

    assert (await ADAPTER.send(sandbox_bot(sandbox), OutboundMessage(to=CUSTOMER, text="hi"))).ok
    await asyncio.sleep(0.1)

    assert sandbox.inbox.received() == []


async def test_an_injected_429_carries_retry_after(sandbox: RunningSandbox) -> None:
    channel = sandbox_bot(sandbox)
    sandbox.state.fail_next(channel.id, status=429, retry_after=2)

    failed = await ADAPTER.send(channel, OutboundMessage(to=CUSTOMER, text="hi"))
    retried = await ADAPTER.send(channel, OutboundMessage(to=CUSTOMER, text="hi"))

    assert not failed.ok and not failed.permanent
    assert failed.error_code == "429" and failed.retry_after == 2.0
    assert retried.ok and retried.provider_message_id == "700100200:1"


async def test_an_injected_permanent_error_is_a_blocked_bot(sandbox: RunningSandbox) -> None:
    channel = sandbox_bot(sandbox)
    sandbox.state.fail_next(channel.id, permanent=True)

    result = await ADAPTER.send(channel, OutboundMessage(to=CUSTOMER, text="hi"))

    assert not result.ok and result.permanent and result.error_code == "403"
    assert result.error_reason == "the customer blocked the bot"
