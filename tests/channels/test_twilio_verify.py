"""Twilio webhooks: X-Twilio-Signature over Hub's public URL and the form fields."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import pytest
from multidict import MultiDict
from twilio.request_validator import RequestValidator

from channels.sandbox_secrets import sandbox_secret
from channels.twilio import TwilioSMS, TwilioWhatsApp
from channels.types import ChannelConfig, VerifyError, WebhookRequest

SMS = TwilioSMS()
PUBLIC = "https://hub.example.test"
CHANNEL = ChannelConfig(
    id=12,
    kind="sms_twilio",
    public_url=PUBLIC,
    config={
        "account_sid": "ACaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "auth_token": "12345",
        "from_number": "+14155552345",
    },
)


def request(
    body: bytes, signature: str | None, *, url: str = "http://10.0.0.7:8000/webhooks/twilio/12/inbound"
) -> WebhookRequest:
    headers = {"content-type": "application/x-www-form-urlencoded"}
    if signature is not None:
        headers["x-twilio-signature"] = signature
    return WebhookRequest(method="POST", url=url, headers=headers, body=body)


def signature(token: str, url: str, params: Any) -> str:
    return str(RequestValidator(token).compute_signature(url, params))


def test_signed_against_the_public_url_not_the_host_header(fixture: Any) -> None:
    params = fixture("twilio", "x_sms_inbound.json")
    body = urlencode(params).encode()
    good = signature("12345", f"{PUBLIC}/webhooks/twilio/12/inbound", params)

    SMS.verify(CHANNEL, request(body, good), "inbound")
    with pytest.raises(VerifyError):  # the same signature does not fit the status endpoint
        SMS.verify(CHANNEL, request(body, good), "status")


def test_query_string_is_part_of_the_signed_url(fixture: Any) -> None:
    params = fixture("twilio", "x_status_delivered.json")
    body = urlencode(params).encode()
    signed_url = f"{PUBLIC}/webhooks/twilio/12/status?attempt=2&tag=%E4%B8%AD"
    good = signature("12345", signed_url, params)

    SMS.verify(
        CHANNEL,
        request(body, good, url="http://internal/webhooks/twilio/12/status?attempt=2&tag=%E4%B8%AD"),
        "status",
    )
    with pytest.raises(VerifyError):
        SMS.verify(CHANNEL, request(body, good, url="http://internal/webhooks/twilio/12/status"), "status")


def test_repeated_fields_are_all_signed() -> None:
    pairs = [("MessageSid", "SM1"), ("MediaUrl", "https://a.test/1"), ("MediaUrl", "https://a.test/2")]
    body = urlencode(pairs).encode()
    good = signature("12345", f"{PUBLIC}/webhooks/twilio/12/inbound", MultiDict(pairs))
    first_only = signature("12345", f"{PUBLIC}/webhooks/twilio/12/inbound", dict(pairs))

    SMS.verify(CHANNEL, request(body, good), "inbound")
    with pytest.raises(VerifyError):
        SMS.verify(CHANNEL, request(body, first_only), "inbound")


def test_tampered_body_wrong_token_and_missing_header_fail(fixture: Any) -> None:
    params = fixture("twilio", "x_whatsapp_inbound_text.json")
    url = f"{PUBLIC}/webhooks/twilio/12/inbound"
    good = signature("12345", url, params)
    tampered = urlencode({**params, "Body": "請問幾點關門？"}).encode()

    with pytest.raises(VerifyError):
        SMS.verify(CHANNEL, request(tampered, good), "inbound")
    with pytest.raises(VerifyError):
        SMS.verify(CHANNEL, request(urlencode(params).encode(), signature("54321", url, params)), "inbound")
    with pytest.raises(VerifyError, match="missing"):
        SMS.verify(CHANNEL, request(urlencode(params).encode(), None), "inbound")


def test_sandbox_channel_uses_the_sandbox_secret_as_auth_token(fixture: Any) -> None:
    sandbox = ChannelConfig(id=13, kind="whatsapp_twilio", public_url=PUBLIC, config={})
    params = fixture("twilio", "x_whatsapp_inbound_text.json")
    good = signature(sandbox_secret(sandbox), f"{PUBLIC}/webhooks/twilio/13/inbound", params)

    TwilioWhatsApp().verify(sandbox, request(urlencode(params).encode(), good), "inbound")


def test_config_checks() -> None:
    assert SMS.validate_config({}) == {}
    assert SMS.validate_config({"account_sid": "AC1", "auth_token": "t", "messaging_service_sid": "MG1"})
    with pytest.raises(ValueError, match="from_number"):
        TwilioWhatsApp().validate_config({"account_sid": "AC1", "auth_token": "t"})
    with pytest.raises(ValueError, match="unknown config keys"):
        TwilioWhatsApp().validate_config({"messaging_service_sid": "MG1"})
    with pytest.raises(ValueError, match="auth_token"):
        SMS.validate_config({"account_sid": "AC1", "from_number": "+1"})
    assert SMS.public_config(dict(CHANNEL.config))["auth_token"] == "***"
