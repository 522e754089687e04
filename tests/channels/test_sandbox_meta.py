"""The sandbox's Graph API, driven by the real Meta adapter: answers, auth errors, receipts, failures."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from channels.meta import MetaWhatsApp
from channels.sandbox import RunningSandbox, SandboxState, serve_sandbox
from channels.types import Button, ChannelConfig, IdentityRef, OutboundMessage, VerifyError

ADAPTER = MetaWhatsApp()
CUSTOMER = IdentityRef("phone", "+85291234567")
REAL = {"phone_number_id": "106540352242922", "access_token": "EAAGreal-looking-token", "app_secret": "app-s3cret",
        "verify_token": "verify-me"}


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    with serve_sandbox(SandboxState(receipt_delay=0.01, seed=3)) as running:
        yield running


@pytest.fixture(autouse=True)
def fresh(sandbox: RunningSandbox) -> None:
    sandbox.state.reset()
    sandbox.inbox.clear()
    sandbox.state.receipts = "off"


def sandbox_channel(sandbox: RunningSandbox, channel_id: int = 11) -> ChannelConfig:
    """No credentials: the adapter sends to `{public_url}/sandbox/meta` with the sandbox secret."""
    return ChannelConfig(allow_private_urls=True, id=channel_id, kind="whatsapp_meta", config={},
                         public_url=sandbox.url)


def real_channel(sandbox: RunningSandbox, **overrides: str) -> ChannelConfig:
    config = {**REAL, "api_base": sandbox.api_base("meta"), **overrides}
    return ChannelConfig(allow_private_urls=True, id=12, kind="whatsapp_meta", config=config, public_url=sandbox.url)


async def test_text_is_accepted_and_recorded_in_graphs_format(sandbox: RunningSandbox) -> None:
    channel = sandbox_channel(sandbox)

    result = await ADAPTER.send(channel, OutboundMessage(to=CUSTOMER, text="您好 👋 訂單 #1234"))

    assert result.ok and result.provider_message_id and result.provider_message_id.startswith("wamid.")
    [record] = sandbox.state.messages(channel.id)
    assert record.direction == "out" and record.customer == "+85291234567"
    assert record.provider_message_id == result.provider_message_id
    assert record.text == "您好 👋 訂單 #1234"
    assert record.wire["messaging_product"] == "whatsapp"
    assert record.wire["to"] == "85291234567"
    assert record.wire["text"]["body"] == "您好 👋 訂單 #1234"


async def test_buttons_and_lists_are_recorded_as_buttons(sandbox: RunningSandbox) -> None:
    channel = sandbox_channel(sandbox)
    buttons = OutboundMessage(to=CUSTOMER, kind="buttons", text="確認訂單？",
                              buttons=(Button("確認", id="confirm"), Button("取消", id="cancel")))
    rows = tuple(Button(f"11月{day}日", id=f"slot_{day}", description="渋谷店") for day in range(20, 25))
    listing = OutboundMessage(to=CUSTOMER, kind="list", text="時間を選んでください", buttons=rows, list_button="選ぶ")

    assert (await ADAPTER.send(channel, buttons)).ok
    assert (await ADAPTER.send(channel, listing)).ok

    first, second = sandbox.state.messages(channel.id)
    assert [(b.id, b.title, b.kind) for b in first.buttons] == [
        ("confirm", "確認", "reply"), ("cancel", "取消", "reply")]
    assert second.list_label == "選ぶ" and len(second.buttons) == 5
    assert {b.kind for b in second.buttons} == {"list"} and second.buttons[0].description == "渋谷店"


async def test_a_channel_with_its_own_credentials_is_served_once_added(sandbox: RunningSandbox) -> None:
    channel = real_channel(sandbox)
    sandbox.state.add_channel(channel)

    result = await ADAPTER.send(channel, OutboundMessage(to=CUSTOMER, text="hi"))

    assert result.ok
    assert sandbox.state.messages(channel.id)[0].extra == {"version": "v21.0"}


async def test_a_wrong_token_gets_graphs_auth_error(sandbox: RunningSandbox) -> None:
    sandbox.state.add_channel(real_channel(sandbox))
    wrong = real_channel(sandbox, access_token="EAAGwrong")

    result = await ADAPTER.send(wrong, OutboundMessage(to=CUSTOMER, text="hi"))

    assert not result.ok and result.permanent
    assert result.error_code == "190" and result.error_reason == "access token invalid"
    answer = httpx.post(f"{sandbox.api_base('meta')}/v21.0/sandbox11/messages", json={},
                        headers={"Authorization": "Bearer sandbox:not-a-channel"})
    assert answer.status_code == 401
    assert answer.json()["error"]["code"] == 190 and answer.json()["error"]["type"] == "OAuthException"
    assert answer.headers["www-authenticate"].startswith('OAuth "Facebook Platform" "invalid_token"')
    assert sandbox.state.messages(12) == []


async def test_a_known_token_on_another_number_is_graphs_unsupported_post(sandbox: RunningSandbox) -> None:
    sandbox.state.add_channel(real_channel(sandbox))

    result = await ADAPTER.send(real_channel(sandbox, phone_number_id="999"), OutboundMessage(to=CUSTOMER, text="x"))

    assert not result.ok and result.error_code == "100" and result.permanent


@pytest.mark.parametrize(
    ("body", "code", "words"),
    [
        ({"to": "85291234567", "type": "text", "text": {"body": "x"}}, 100, "messaging_product is required"),
        ({"messaging_product": "whatsapp", "type": "text", "text": {"body": "x"}}, 100, "to is required"),
        ({"messaging_product": "whatsapp", "to": "85291234567", "type": "text"}, 100, "text is required"),
        ({"messaging_product": "whatsapp", "to": "85291234567", "type": "gif", "gif": {}}, 100, "type must be one of"),
        ({"messaging_product": "whatsapp", "to": "85291234567", "type": "interactive", "interactive": {
            "type": "button", "body": {"text": "pick"}, "action": {"buttons": [
                {"type": "reply", "reply": {"id": str(n), "title": f"option {n}"}} for n in range(4)]}}},
         131009, "at most 3 reply buttons"),
    ],
)
def test_bodies_graph_would_refuse_are_refused(sandbox: RunningSandbox, body: dict[str, Any], code: int,
                                               words: str) -> None:
    answer = httpx.post(f"{sandbox.api_base('meta')}/v21.0/sandbox11/messages", json=body,
                        headers={"Authorization": "Bearer sandbox:11"})

    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["code"] == code
    assert words in error["message"] + str(error.get("error_data", {}).get("details"))


async def test_receipts_arrive_signed_in_order_and_verify_with_the_adapter(sandbox: RunningSandbox) -> None:
    sandbox.state.receipts = "normal"
    channel = sandbox_channel(sandbox)

    result = await ADAPTER.send(channel, OutboundMessage(to=CUSTOMER, text="您好"))
    received = await sandbox.inbox.wait_for(3, provider="meta", channel_id=channel.id)

    statuses = []
    for webhook in received:
        ADAPTER.verify(channel, webhook.request, webhook.endpoint)
        statuses += ADAPTER.parse(channel, webhook.request.body, webhook.endpoint).statuses
    assert [status.status for status in statuses] == ["sent", "delivered", "read"]
    assert {status.provider_message_id for status in statuses} == {result.provider_message_id}
    assert sandbox.state.messages(channel.id)[0].status == "read"


async def test_receipts_of_a_channel_with_an_app_secret_are_signed_with_it(sandbox: RunningSandbox) -> None:
    sandbox.state.receipts = "normal"
    channel = real_channel(sandbox)
    sandbox.state.add_channel(channel)

    await ADAPTER.send(channel, OutboundMessage(to=CUSTOMER, text="hi"))
    [first, *_] = await sandbox.inbox.wait_for(3, channel_id=channel.id)

    ADAPTER.verify(channel, first.request, "")
    with pytest.raises(VerifyError):
        ADAPTER.verify(real_channel(sandbox, app_secret="another"), first.request, "")


async def test_chaos_receipts_repeat_and_come_out_of_order(sandbox: RunningSandbox) -> None:
    sandbox.state.receipts = "chaos"
    channel = sandbox_channel(sandbox)

    await ADAPTER.send(channel, OutboundMessage(to=CUSTOMER, text="hi"))
    received = await sandbox.inbox.wait_for(6, channel_id=channel.id)

    order = [ADAPTER.parse(channel, item.request.body, "").statuses[0].status for item in received]
    assert set(order) == {"sent", "delivered", "read"} and len(order) == 6
    ranks = [["sent", "delivered", "read"].index(status) for status in order]
    assert ranks != sorted(ranks)
    assert sandbox.state.messages(channel.id)[0].status == "read"  # the record never moves backwards


async def test_an_injected_429_is_a_retryable_result_with_retry_after(sandbox: RunningSandbox) -> None:
    channel = sandbox_channel(sandbox)
    sandbox.state.fail_next(channel.id, status=429, retry_after=2)

    failed = await ADAPTER.send(channel, OutboundMessage(to=CUSTOMER, text="hi"))
    retried = await ADAPTER.send(channel, OutboundMessage(to=CUSTOMER, text="hi"))

    assert not failed.ok and not failed.permanent
    assert failed.error_code == "130429" and failed.retry_after == 2.0
    assert retried.ok


async def test_an_injected_permanent_error_is_131047(sandbox: RunningSandbox) -> None:
    channel = sandbox_channel(sandbox)
    sandbox.state.fail_next(channel.id, permanent=True)

    result = await ADAPTER.send(channel, OutboundMessage(to=CUSTOMER, text="hi"))

    assert not result.ok and result.permanent and result.error_code == "131047"
    assert sandbox.state.messages(channel.id) == []
