"""Twilio send through the official SDK: the exact Messages API request and the error mapping."""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from channels.twilio import TwilioSMS, TwilioWhatsApp
from channels.twilio import send as twilio_send
from channels.types import Button, ChannelConfig, IdentityRef, OutboundMessage

SMS = TwilioSMS()
WHATSAPP = TwilioWhatsApp()
SID = "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
CUSTOMER = IdentityRef("phone", "+85291234567")
PUBLIC_URL = "https://hub.example.test"


def sms_channel(url: str, **extra: str) -> ChannelConfig:
    config = {
        "account_sid": SID,
        "auth_token": "tok3n",
        "from_number": "+14155552345",
        "api_base": url,
        **extra,
    }
    return ChannelConfig(allow_private_urls=True, id=5, kind="sms_twilio", config=config, public_url=PUBLIC_URL)


def whatsapp_channel(url: str) -> ChannelConfig:
    config = {
        "account_sid": SID,
        "auth_token": "tok3n",
        "from_number": "whatsapp:+14155238886",
        "api_base": url,
    }
    return ChannelConfig(allow_private_urls=True, id=6, kind="whatsapp_twilio", config=config, public_url=PUBLIC_URL)


async def test_sms_is_the_sdks_form_post_with_basic_auth(provider_server: Any, fixture: Any) -> None:
    provider_server.answer(201, fixture("twilio", "message_create_response.json"))

    result = await SMS.send(sms_channel(provider_server.url), OutboundMessage(to=CUSTOMER, text="您好 👋 order #12"))

    assert result.ok and result.provider_message_id == "SMd16d69f3cde66c5ef946c4c6c9d51282"
    [request] = provider_server.requests
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    assert request.headers["authorization"] == "Basic " + base64.b64encode(f"{SID}:tok3n".encode()).decode()
    assert request.headers["content-type"].startswith("application/x-www-form-urlencoded")
    assert sorted(request.form()) == sorted(
        [
            ("To", "+85291234567"),
            ("From", "+14155552345"),
            ("Body", "您好 👋 order #12"),
            ("StatusCallback", "https://hub.example.test/webhooks/twilio/5/status"),
        ]
    )


async def test_messaging_service_replaces_from(provider_server: Any, fixture: Any) -> None:
    provider_server.answer(201, fixture("twilio", "message_create_response.json"))
    config = sms_channel(provider_server.url, messaging_service_sid="MGaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa")

    await SMS.send(config, OutboundMessage(to=CUSTOMER, text="hi"))

    form = dict(provider_server.requests[0].form())
    assert form["MessagingServiceSid"] == "MGaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
    assert "From" not in form


async def test_whatsapp_addresses_carry_the_prefix_and_media_is_media_url(provider_server: Any, fixture: Any) -> None:
    provider_server.answer(201, fixture("twilio", "message_create_response.json"))
    message = OutboundMessage(
        to=CUSTOMER, kind="media", media_url="https://cdn.example.test/a.jpg", media_type="image", text="新品"
    )

    await WHATSAPP.send(whatsapp_channel(provider_server.url), message)

    form = dict(provider_server.requests[0].form())
    assert form["To"] == "whatsapp:+85291234567"
    assert form["From"] == "whatsapp:+14155238886"
    assert form["MediaUrl"] == "https://cdn.example.test/a.jpg"
    assert form["Body"] == "新品"
    assert form["StatusCallback"] == "https://hub.example.test/webhooks/twilio/6/status"


async def test_buttons_on_sms_become_a_numbered_menu(provider_server: Any, fixture: Any) -> None:
    provider_server.answer(201, fixture("twilio", "message_create_response.json"))
    message = OutboundMessage(
        to=CUSTOMER,
        kind="buttons",
        text="Pick a size",
        buttons=(Button("Small", id="s"), Button("Large", id="l")),
    )

    await SMS.send(sms_channel(provider_server.url), message)

    assert dict(provider_server.requests[0].form())["Body"] == "Pick a size\n\n1. Small\n2. Large"


async def test_whatsapp_template_uses_content_sid_and_variables(provider_server: Any, fixture: Any) -> None:
    provider_server.answer(201, fixture("twilio", "message_create_response.json"))
    message = OutboundMessage(
        to=CUSTOMER,
        kind="template",
        template_name="order_update",
        template_params=("陳小明", "#1024"),
        payload={"content_sid": "HXabc"},
    )

    await WHATSAPP.send(whatsapp_channel(provider_server.url), message)

    form = dict(provider_server.requests[0].form())
    assert form["ContentSid"] == "HXabc"
    assert json.loads(form["ContentVariables"]) == {"1": "陳小明", "2": "#1024"}
    assert "Body" not in form


async def test_invalid_to_is_permanent(provider_server: Any, fixture: Any) -> None:
    provider_server.answer(400, fixture("twilio", "error_21211.json"))

    result = await SMS.send(sms_channel(provider_server.url), OutboundMessage(to=CUSTOMER, text="hi"))

    assert not result.ok and result.permanent
    assert result.error_code == "21211"
    assert result.error_reason == "the 'To' number is not a valid phone number"


async def test_429_honours_retry_after(provider_server: Any, fixture: Any) -> None:
    provider_server.answer(429, fixture("twilio", "error_429.json"), {"Retry-After": "12"})

    result = await SMS.send(sms_channel(provider_server.url), OutboundMessage(to=CUSTOMER, text="hi"))

    assert not result.ok and not result.permanent
    assert result.retry_after == 12.0 and result.error_code == "20429"


async def test_5xx_is_retryable(provider_server: Any) -> None:
    provider_server.answer(503, "Service Unavailable")

    result = await SMS.send(sms_channel(provider_server.url), OutboundMessage(to=CUSTOMER, text="hi"))

    assert not result.ok and not result.permanent and result.error_code == "503"


async def test_bad_credentials_are_permanent(provider_server: Any, fixture: Any) -> None:
    provider_server.answer(401, fixture("twilio", "x_error_20003.json"))

    result = await SMS.send(sms_channel(provider_server.url), OutboundMessage(to=CUSTOMER, text="hi"))

    assert result.permanent and result.error_reason == "Twilio account SID or auth token invalid"


async def test_timeout_is_retryable(provider_server: Any, fixture: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(twilio_send, "SEND_TIMEOUT_SECONDS", 0.2)
    provider_server.answer(201, fixture("twilio", "message_create_response.json"), delay=1.0)

    result = await SMS.send(sms_channel(provider_server.url), OutboundMessage(to=CUSTOMER, text="hi"))

    assert not result.ok and not result.permanent and result.error_code == "timeout"


async def test_unreachable_api_is_retryable() -> None:
    result = await SMS.send(sms_channel("http://127.0.0.1:9"), OutboundMessage(to=CUSTOMER, text="hi"))

    assert not result.ok and not result.permanent and result.error_code == "network"


async def test_environment_edge_does_not_move_the_host(
    provider_server: Any, fixture: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWILIO_EDGE", "sydney")
    monkeypatch.setenv("TWILIO_REGION", "au1")
    provider_server.answer(201, fixture("twilio", "message_create_response.json"))

    result = await SMS.send(sms_channel(provider_server.url), OutboundMessage(to=CUSTOMER, text="hi"))

    assert result.ok and len(provider_server.requests) == 1


async def test_whatsapp_user_id_cannot_be_texted_by_sms(provider_server: Any) -> None:
    user = IdentityRef("whatsapp_user", "US.13491208655302741918")

    result = await SMS.send(sms_channel(provider_server.url), OutboundMessage(to=user, text="hi"))

    assert result.permanent and result.error_code == "render" and provider_server.requests == []


async def test_problem_details_errors_are_mapped_too(provider_server: Any) -> None:
    # The SDK raises TwilioServiceException for RFC 9457 bodies (twilio/base/version.py).
    problem = {
        "type": "https://www.twilio.com/docs/errors/20429",
        "title": "Too Many Requests",
        "status": 429,
        "code": 20429,
        "detail": "Too many requests",
    }
    provider_server.answer(429, problem, {"Retry-After": "3"})

    result = await SMS.send(sms_channel(provider_server.url), OutboundMessage(to=CUSTOMER, text="hi"))

    assert not result.ok and not result.permanent
    assert (result.error_code, result.retry_after) == ("20429", 3.0)


async def test_sandbox_channel_sends_to_hub_sandbox(provider_server: Any, fixture: Any) -> None:
    provider_server.answer(201, fixture("twilio", "message_create_response.json"))
    sandbox = ChannelConfig(allow_private_urls=True,
        id=5, kind="sms_twilio", config={"from_number": "+14155552345"}, public_url=provider_server.url
    )

    result = await SMS.send(sandbox, OutboundMessage(to=CUSTOMER, text="hi"))

    assert result.ok
    [request] = provider_server.requests
    assert request.path == "/sandbox/twilio/2010-04-01/Accounts/ACsandbox5/Messages.json"
    assert request.headers["authorization"] == "Basic " + base64.b64encode(b"ACsandbox5:sandbox:5").decode()
