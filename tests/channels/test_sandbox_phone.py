"""The customer phone: what a person writes becomes the provider's real signed webhook, which the
adapters' own verify() and parse() accept; and the page itself works under a strict CSP."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from channels.meta import MetaWhatsApp
from channels.sandbox import RunningSandbox, SandboxState, serve_sandbox
from channels.sandbox.inbox import ReceivedWebhook
from channels.telegram import Telegram
from channels.twilio import TwilioSMS, TwilioWhatsApp
from channels.types import Button, ChannelConfig, IdentityRef, InboundMessage, OutboundMessage

META, TELEGRAM, TWILIO_SMS, TWILIO_WA = MetaWhatsApp(), Telegram(), TwilioSMS(), TwilioWhatsApp()
STATIC = Path(__file__).resolve().parents[2] / "channels" / "sandbox" / "static"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with serve_sandbox(SandboxState(receipt_delay=0.01, seed=11)) as running:
        yield running


@pytest.fixture(autouse=True)
def fresh(sandbox: RunningSandbox) -> None:
    sandbox.state.reset()
    sandbox.inbox.clear()
    sandbox.inbox.status = 200
    sandbox.state.receipts = "off"


def add(sandbox: RunningSandbox, channel_id: int, kind: str, **config: str) -> ChannelConfig:
    channel = ChannelConfig(allow_private_urls=True, id=channel_id, kind=kind, config=config, public_url=sandbox.url)
    sandbox.state.add_channel(channel)
    return channel


def tap(sandbox: RunningSandbox, channel_id: int, **body: Any) -> dict[str, Any]:
    answer = httpx.post(f"{sandbox.url}/sandbox/phone/{channel_id}/send", json=body)
    assert answer.status_code == 200, answer.text
    result: dict[str, Any] = answer.json()
    return result


def inbound(adapter: Any, channel: ChannelConfig, webhook: ReceivedWebhook) -> InboundMessage:
    """What Hub would make of the webhook: the adapter's own verify, then parse."""
    adapter.verify(channel, webhook.request, webhook.endpoint)
    [message] = adapter.parse(channel, webhook.request.body, webhook.endpoint).messages
    assert isinstance(message, InboundMessage)
    return message


def test_meta_text_is_a_signed_graph_webhook(sandbox: RunningSandbox) -> None:
    channel = add(sandbox, 51, "whatsapp_meta")

    answer = tap(sandbox, 51, text="你好，我想查詢訂單 #1234 嘅送貨進度", name="陳大文")

    assert answer["ok"] and answer["hub_status"] == 200
    [webhook] = sandbox.inbox.received(provider="meta", channel_id=51)
    message = inbound(META, channel, webhook)
    assert message.kind == "text" and message.text == "你好，我想查詢訂單 #1234 嘅送貨進度"
    assert message.primary_identity == IdentityRef("phone", "+85291234567")
    assert message.profile_name == "陳大文"
    assert answer["message"]["status"] == "delivered" and answer["message"]["direction"] == "in"


async def test_meta_button_and_list_replies_name_the_shop_message(sandbox: RunningSandbox) -> None:
    channel = add(sandbox, 52, "whatsapp_meta")
    customer = IdentityRef("phone", "+81901234567")
    buttons = await META.send(channel, OutboundMessage(to=customer, kind="buttons", text="確認？", buttons=(
        Button("確認", id="confirm"), Button("取消", id="cancel"))))
    await META.send(channel, OutboundMessage(to=customer, kind="list", text="時間", buttons=tuple(
        Button(f"{hour}:00", id=f"slot_{hour}", description="渋谷店") for hour in range(10, 15))))

    tap(sandbox, 52, **{"from": "+81901234567", "button_id": "confirm"})
    tap(sandbox, 52, **{"from": "+81901234567", "button_id": "slot_12"})

    reply, row = (inbound(META, channel, item) for item in sandbox.inbox.received(channel_id=52))
    assert reply.kind == "button_reply" and reply.payload == {"id": "confirm", "title": "確認"}
    assert reply.reply_to_provider_id == buttons.provider_message_id
    assert row.kind == "list_reply" and row.payload["id"] == "slot_12" and row.payload["description"] == "渋谷店"


def test_twilio_whatsapp_text_and_button_are_signed_form_posts(sandbox: RunningSandbox) -> None:
    channel = add(sandbox, 53, "whatsapp_twilio", from_number="whatsapp:+14155238886")

    tap(sandbox, 53, text="こんにちは、在庫はありますか？", name="山田太郎", **{"from": "+81901234567"})
    tap(sandbox, 53, button_id="order_confirm_1234", **{"from": "+81901234567"})

    text, button = sandbox.inbox.received(channel_id=53, endpoint="inbound")
    message = inbound(TWILIO_WA, channel, text)
    assert message.text == "こんにちは、在庫はありますか？" and message.profile_name == "山田太郎"
    assert message.primary_identity == IdentityRef("phone", "+81901234567")
    assert "To=whatsapp%3A%2B14155238886" in text.request.body.decode()
    reply = inbound(TWILIO_WA, channel, button)
    assert reply.kind == "button_reply" and reply.payload["id"] == "order_confirm_1234"


def test_twilio_sms_is_a_plain_sms_form(sandbox: RunningSandbox) -> None:
    channel = add(sandbox, 54, "sms_twilio", from_number="+14155552345")

    tap(sandbox, 54, text="STOP")

    [webhook] = sandbox.inbox.received(channel_id=54)
    fields = dict(re.findall(r"([^&=]+)=([^&]*)", webhook.request.body.decode()))
    assert "ProfileName" not in fields and "WaId" not in fields and fields["NumMedia"] == "0"
    message = inbound(TWILIO_SMS, channel, webhook)
    assert message.text == "STOP" and message.primary_identity == IdentityRef("phone", "+85291234567")


async def test_telegram_text_and_callback_are_updates_with_the_secret_header(sandbox: RunningSandbox) -> None:
    channel = add(sandbox, 55, "telegram")
    sent = await TELEGRAM.send(channel, OutboundMessage(to=IdentityRef("telegram", "700100200"), kind="buttons",
                                                        text="確認？", buttons=(Button("確認 ✅", id="ok:1234"),)))

    tap(sandbox, 55, text="こんにちは 👋", name="太郎 山田")
    tap(sandbox, 55, button_id="ok:1234")

    text, callback = (inbound(TELEGRAM, channel, item) for item in sandbox.inbox.received(channel_id=55))
    assert text.text == "こんにちは 👋" and text.primary_identity == IdentityRef("telegram", "700100200")
    assert text.provider_message_id == "700100200:2"  # after the shop's message 1 in the same chat
    assert text.profile_name == "太郎 山田"
    assert callback.kind == "callback" and callback.text == "ok:1234"
    assert callback.reply_to_provider_id == sent.provider_message_id


def invoice_message(currency: str, amount: int) -> OutboundMessage:
    invoice = {"title": "Order PAGU-3YTJ", "description": "Silk dress (M) × 1", "payload": "order:7",
               "currency": currency, "prices": [{"label": "Silk dress (M) × 1", "amount": amount}]}
    return OutboundMessage(to=IdentityRef("telegram", "700100200"), kind="invoice", payload={"invoice": invoice})


def phone_records(sandbox: RunningSandbox, channel_id: int) -> list[dict[str, Any]]:
    answer = httpx.get(f"{sandbox.url}/sandbox/phone/{channel_id}/messages").json()
    records: list[dict[str, Any]] = answer["messages"]
    return records


@pytest.mark.parametrize(("currency", "amount", "shown"), [("HKD", 68000, "HK$680.00"), ("JPY", 4800, "¥4,800")])
async def test_a_telegram_invoice_shows_its_title_total_and_a_pay_button(sandbox: RunningSandbox, currency: str,
                                                                        amount: int, shown: str) -> None:
    channel = add(sandbox, 60, "telegram")
    assert (await TELEGRAM.send(channel, invoice_message(currency, amount))).ok

    [invoice] = phone_records(sandbox, 60)
    assert invoice["kind"] == "invoice"
    assert (invoice["header"], invoice["text"], invoice["footer"]) == ("Order PAGU-3YTJ", "Silk dress (M) × 1", shown)
    assert invoice["buttons"] == [{"title": f"Pay {shown}", "id": "pay", "url": None, "kind": "pay",
                                   "description": None}]


async def test_pay_is_a_pre_checkout_query_and_an_approval_brings_successful_payment(sandbox: RunningSandbox) -> None:
    channel = add(sandbox, 61, "telegram")
    sent = await TELEGRAM.send(channel, invoice_message("HKD", 68000))

    tap(sandbox, 61, button_id="pay", reply_to=sent.provider_message_id)
    [asked] = sandbox.inbox.received(channel_id=61)
    query = inbound(TELEGRAM, channel, asked).payload["pre_checkout_query"]
    assert {key: query[key] for key in ("currency", "total_amount", "invoice_payload")} == {
        "currency": "HKD", "total_amount": 68000, "invoice_payload": "order:7"}

    assert (await TELEGRAM.answer_pre_checkout(channel, query["id"], True)).ok
    for _ in range(100):
        if len(sandbox.inbox.received(channel_id=61)) == 2:
            break
        await asyncio.sleep(0.05)
    paid = inbound(TELEGRAM, channel, sandbox.inbox.received(channel_id=61)[1])
    assert paid.kind == "payment"
    payment = paid.payload["successful_payment"]
    assert (payment["currency"], payment["total_amount"], payment["invoice_payload"]) == ("HKD", 68000, "order:7")
    assert payment["telegram_payment_charge_id"]
    statuses = {r["text"]: r["status"] for r in phone_records(sandbox, 61) if r["direction"] == "in"}
    assert statuses == {"Pay HK$680.00": "paid", "You paid HK$680.00": "delivered"}
    assert not (await TELEGRAM.answer_pre_checkout(channel, query["id"], True)).ok  # a query is answered once


async def test_a_declined_pre_checkout_charges_nothing_and_shows_the_bots_reason(sandbox: RunningSandbox) -> None:
    channel = add(sandbox, 62, "telegram")
    sent = await TELEGRAM.send(channel, invoice_message("HKD", 68000))
    tap(sandbox, 62, button_id="pay", reply_to=sent.provider_message_id)
    query = inbound(TELEGRAM, channel, sandbox.inbox.received(channel_id=62)[0]).payload["pre_checkout_query"]

    assert (await TELEGRAM.answer_pre_checkout(channel, query["id"], False, "This order has expired.")).ok
    await asyncio.sleep(0.2)

    assert len(sandbox.inbox.received(channel_id=62)) == 1  # no successful_payment
    [pay] = [record for record in phone_records(sandbox, 62) if record["direction"] == "in"]
    assert pay["status"] == "declined" and pay["text"] == "Pay HK$680.00\nThis order has expired."


async def test_a_telegram_tap_shows_answered_once_the_bot_answers_it(sandbox: RunningSandbox) -> None:
    channel = add(sandbox, 63, "telegram")
    await TELEGRAM.send(channel, OutboundMessage(to=IdentityRef("telegram", "700100200"), kind="buttons",
                                                 text="Size?", buttons=(Button("M", id="size:m"),)))
    tap(sandbox, 63, button_id="size:m")
    callback = inbound(TELEGRAM, channel, sandbox.inbox.received(channel_id=63)[0])

    assert [r["status"] for r in phone_records(sandbox, 63) if r["direction"] == "in"] == ["delivered"]
    assert (await TELEGRAM.acknowledge(channel, callback.payload)).ok  # type: ignore[union-attr]
    assert [r["status"] for r in phone_records(sandbox, 63) if r["direction"] == "in"] == ["answered"]


def test_messages_are_polled_in_order_after_a_revision(sandbox: RunningSandbox) -> None:
    add(sandbox, 56, "whatsapp_meta")
    tap(sandbox, 56, text="一")
    tap(sandbox, 56, text="二", **{"from": "+85290000000"})
    url = f"{sandbox.url}/sandbox/phone/56/messages"

    everything = httpx.get(url).json()
    mine = httpx.get(url, params={"customer": "+85291234567"}).json()
    later = httpx.get(url, params={"after": everything["revision"]}).json()

    assert [item["text"] for item in everything["messages"]] == ["一", "二"]
    assert [item["text"] for item in mine["messages"]] == ["一"]
    assert later["messages"] == []


def test_a_refusing_hub_shows_on_the_message(sandbox: RunningSandbox) -> None:
    add(sandbox, 57, "telegram")
    sandbox.inbox.status = 403

    answer = tap(sandbox, 57, text="hi")

    assert answer["ok"] is False and answer["hub_status"] == 403
    assert answer["message"]["status"] == "refused 403"


@pytest.mark.parametrize(("channel_id", "kind", "body", "status"), [
    (58, "whatsapp_meta", {"from": "12", "text": "x"}, 400),
    (58, "telegram", {"from": "+85291234567", "text": "x"}, 400),
    (58, "telegram", {"text": "  "}, 400),
    (999, None, {"text": "x"}, 404),
])
def test_bad_customer_messages_are_refused(sandbox: RunningSandbox, channel_id: int, kind: str | None,
                                           body: dict[str, str], status: int) -> None:
    if kind:
        add(sandbox, channel_id, kind)

    answer = httpx.post(f"{sandbox.url}/sandbox/phone/{channel_id}/send", json=body)

    assert answer.status_code == status and answer.json()["detail"]


def test_the_page_runs_under_a_strict_content_security_policy(sandbox: RunningSandbox) -> None:
    add(sandbox, 59, "telegram")

    page = httpx.get(f"{sandbox.url}/sandbox/phone/59")
    script = httpx.get(f"{sandbox.url}/sandbox/static/phone.js")
    style = httpx.get(f"{sandbox.url}/sandbox/static/phone.css")

    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy and "unsafe-eval" not in policy
    assert re.findall(r"<script[^>]*>", page.text) == ['<script src="/sandbox/static/phone.js" defer>']
    assert "<style" not in page.text and " style=" not in page.text
    assert not re.search(r"\son[a-z]+\s*=", page.text)  # no inline event handlers
    assert 'data-customer="700100200"' in page.text and 'data-send-url="/sandbox/phone/59/send"' in page.text
    assert script.headers["content-type"].startswith("text/javascript")
    assert style.headers["content-type"].startswith("text/css")
    assert httpx.get(f"{sandbox.url}/sandbox/static/..%2Fstate.py").status_code == 404


def test_the_script_writes_text_never_html_and_respects_input_methods() -> None:
    script = (STATIC / "phone.js").read_text(encoding="utf-8")

    assert "innerHTML" not in script and "insertAdjacentHTML" not in script and "document.write" not in script
    assert "textContent" in script
    assert "isComposing" in script and "compositionstart" in script and "229" in script


def test_a_lookup_decides_which_channels_exist() -> None:
    channels = {61: ChannelConfig(id=61, kind="whatsapp_meta", config={}),
                62: ChannelConfig(id=62, kind="whatsapp_meta", config={"access_token": "EAAGx", "app_secret": "s",
                                                                        "verify_token": "v", "phone_number_id": "1"})}
    with serve_sandbox(SandboxState(receipts="off"), lookup=channels.get) as running:
        def post(channel_id: int) -> int:
            return httpx.post(f"{running.api_base('meta')}/v21.0/sandbox{channel_id}/messages",
                              headers={"Authorization": f"Bearer sandbox:{channel_id}"},
                              json={"messaging_product": "whatsapp", "to": "85291234567", "type": "text",
                                    "text": {"body": "hi"}}).status_code

        assert post(61) == 200
        assert post(62) == 401  # it has credentials: its sandbox secret is no credential at all
        assert post(63) == 401  # no such channel
        assert httpx.get(f"{running.url}/sandbox/phone/61").status_code == 200
        assert httpx.get(f"{running.url}/sandbox/phone/62").status_code == 404  # never posts as a real channel
        assert httpx.get(f"{running.url}/sandbox/phone/63").status_code == 404
