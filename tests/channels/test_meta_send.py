"""Meta send: the exact Graph request, and Graph's answers mapped to SendResult."""

from __future__ import annotations

from typing import Any

import pytest

from channels.meta import MetaWhatsApp
from channels.meta import send as meta_send
from channels.types import Button, ChannelConfig, IdentityRef, OutboundMessage

ADAPTER = MetaWhatsApp()
CUSTOMER = IdentityRef("phone", "+85291234567")


def channel(url: str, **extra: str) -> ChannelConfig:
    config = {
        "phone_number_id": "106540352242922",
        "access_token": "EAAG-token",
        "app_secret": "s3cret",
        "verify_token": "verify-me",
        "api_base": url,
        **extra,
    }
    return ChannelConfig(allow_private_urls=True, id=7, kind="whatsapp_meta", config=config)


async def test_text_goes_to_graph_messages_with_bearer_token(provider_server: Any, fixture: Any) -> None:
    provider_server.answer(200, fixture("meta", "send_response.json"))

    result = await ADAPTER.send(channel(provider_server.url), OutboundMessage(to=CUSTOMER, text="您好，訂單已出貨"))

    assert result.ok and not result.permanent
    assert result.provider_message_id == "wamid.HBgLODUyOTEyMzQ1NjcFQIAEhgUREU2QTYwRUE1NEU4ODYxOTU5RUQAA=="
    [request] = provider_server.requests
    assert request.method == "POST"
    assert request.path == "/v21.0/106540352242922/messages"
    assert request.headers["authorization"] == "Bearer EAAG-token"
    assert request.headers["content-type"].startswith("application/json")
    assert request.json() == {
        "messaging_product": "whatsapp",
        "recipient_type": "individual",
        "to": "85291234567",
        "type": "text",
        "text": {"body": "您好，訂單已出貨", "preview_url": False},
    }


async def test_api_version_and_base_path_prefix_are_honoured(provider_server: Any, fixture: Any) -> None:
    provider_server.answer(200, fixture("meta", "send_response.json"))
    config = channel(provider_server.url + "/sandbox/meta/", api_version="v23.0")

    await ADAPTER.send(config, OutboundMessage(to=CUSTOMER, text="hi"))

    assert provider_server.requests[0].path == "/sandbox/meta/v23.0/106540352242922/messages"


async def test_customer_without_phone_is_sent_by_user_id(provider_server: Any, fixture: Any) -> None:
    provider_server.answer(200, fixture("meta", "send_response.json"))
    user = IdentityRef("whatsapp_user", "HK.50817736420019387125")

    await ADAPTER.send(channel(provider_server.url), OutboundMessage(to=user, text="hi"))

    body = provider_server.requests[0].json()
    assert body["recipient"] == "HK.50817736420019387125"
    assert "to" not in body


async def test_three_reply_buttons_are_native(provider_server: Any, fixture: Any) -> None:
    provider_server.answer(200, fixture("meta", "send_response.json"))
    message = OutboundMessage(
        to=CUSTOMER,
        kind="buttons",
        text="要確認訂單嗎？",
        buttons=(Button("確認", id="yes"), Button("取消", id="no"), Button("聯絡客服", id="agent")),
    )

    await ADAPTER.send(channel(provider_server.url), message)

    body = provider_server.requests[0].json()
    assert body["type"] == "interactive"
    assert body["interactive"] == {
        "type": "button",
        "body": {"text": "要確認訂單嗎？"},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": "yes", "title": "確認"}},
                {"type": "reply", "reply": {"id": "no", "title": "取消"}},
                {"type": "reply", "reply": {"id": "agent", "title": "聯絡客服"}},
            ]
        },
    }


async def test_429_with_retry_after_is_retryable(provider_server: Any, fixture: Any) -> None:
    provider_server.answer(429, fixture("meta", "error_130429.json"), {"Retry-After": "27"})

    result = await ADAPTER.send(channel(provider_server.url), OutboundMessage(to=CUSTOMER, text="hi"))

    assert not result.ok and not result.permanent
    assert result.error_code == "130429"
    assert result.retry_after == 27.0
    assert result.error_reason == "Cloud API message throughput has been reached."


async def test_rate_limit_code_on_400_is_retryable_without_retry_after(provider_server: Any, fixture: Any) -> None:
    provider_server.answer(400, fixture("meta", "error_130429.json"))

    result = await ADAPTER.send(channel(provider_server.url), OutboundMessage(to=CUSTOMER, text="hi"))

    assert not result.ok and not result.permanent and result.retry_after is None


async def test_5xx_is_retryable(provider_server: Any, fixture: Any) -> None:
    provider_server.answer(503, fixture("meta", "x_error_2.json"))

    result = await ADAPTER.send(channel(provider_server.url), OutboundMessage(to=CUSTOMER, text="hi"))

    assert not result.ok and not result.permanent
    assert result.error_code == "2"


async def test_outside_24h_window_is_permanent_with_a_plain_reason(provider_server: Any, fixture: Any) -> None:
    provider_server.answer(400, fixture("meta", "error_131047.json"))

    result = await ADAPTER.send(channel(provider_server.url), OutboundMessage(to=CUSTOMER, text="hi"))

    assert not result.ok and result.permanent
    assert result.error_code == "131047"
    assert result.error_reason is not None and "24 hours" in result.error_reason
    assert "template" in result.error_reason


async def test_invalid_token_is_permanent(provider_server: Any, fixture: Any) -> None:
    provider_server.answer(401, fixture("meta", "x_error_190.json"))

    result = await ADAPTER.send(channel(provider_server.url), OutboundMessage(to=CUSTOMER, text="hi"))

    assert result.permanent and result.error_code == "190"
    assert result.error_reason == "access token invalid"


async def test_timeout_is_retryable(provider_server: Any, fixture: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(meta_send, "SEND_TIMEOUT_SECONDS", 0.2)
    provider_server.answer(200, fixture("meta", "send_response.json"), delay=1.0)

    result = await ADAPTER.send(channel(provider_server.url), OutboundMessage(to=CUSTOMER, text="hi"))

    assert not result.ok and not result.permanent and result.error_code == "timeout"


async def test_unreachable_api_is_retryable() -> None:
    result = await ADAPTER.send(channel("http://127.0.0.1:9"), OutboundMessage(to=CUSTOMER, text="hi"))

    assert not result.ok and not result.permanent and result.error_code == "network"


async def test_unrenderable_message_fails_permanently_without_a_request(provider_server: Any, fixture: Any) -> None:
    telegram_user = IdentityRef("telegram", "123")

    result = await ADAPTER.send(channel(provider_server.url), OutboundMessage(to=telegram_user, text="hi"))

    assert result.permanent and result.error_code == "render"
    assert provider_server.requests == []


async def test_sandbox_channel_sends_to_hub_sandbox_with_sandbox_token(provider_server: Any, fixture: Any) -> None:
    provider_server.answer(200, fixture("meta", "send_response.json"))
    sandbox = ChannelConfig(allow_private_urls=True, id=3, kind="whatsapp_meta", config={},
                            public_url=provider_server.url)

    result = await ADAPTER.send(sandbox, OutboundMessage(to=CUSTOMER, text="hi"))

    assert result.ok
    [request] = provider_server.requests
    assert request.path == "/sandbox/meta/v21.0/sandbox3/messages"
    assert request.headers["authorization"] == "Bearer sandbox:3"
