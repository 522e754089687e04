"""Meta webhooks: X-Hub-Signature-256, the GET challenge, event ids and config checks."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

import pytest

from channels.meta import MetaWhatsApp
from channels.sandbox_secrets import sandbox_secret
from channels.types import ChannelConfig, ParseError, VerifyError, WebhookRequest

ADAPTER = MetaWhatsApp()
CONFIGURED = ChannelConfig(
    id=4,
    kind="whatsapp_meta",
    config={
        "phone_number_id": "106540352242922",
        "access_token": "EAAG",
        "app_secret": "app-secret",
        "verify_token": "verify-me",
    },
)
SANDBOX = ChannelConfig(id=4, kind="whatsapp_meta", config={})


def signed(body: bytes, secret: str) -> WebhookRequest:
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return WebhookRequest(
        method="POST",
        url="https://hub.example.test/webhooks/meta/4",
        headers={"x-hub-signature-256": f"sha256={digest}"},
        body=body,
    )


def test_a_body_signed_with_the_app_secret_passes(fixture_bytes: Any) -> None:
    body = fixture_bytes("meta", "x_text_image_and_status.json")
    ADAPTER.verify(CONFIGURED, signed(body, "app-secret"), "")


def test_a_sandbox_channel_checks_against_the_sandbox_secret(fixture_bytes: Any) -> None:
    body = fixture_bytes("meta", "x_text_image_and_status.json")
    ADAPTER.verify(SANDBOX, signed(body, sandbox_secret(SANDBOX)), "")
    with pytest.raises(VerifyError):
        ADAPTER.verify(SANDBOX, signed(body, "app-secret"), "")


def test_a_tampered_body_fails(fixture_bytes: Any) -> None:
    body = fixture_bytes("meta", "x_text_image_and_status.json")
    request = signed(body, "app-secret")
    tampered = WebhookRequest(
        method="POST",
        url=request.url,
        headers=request.headers,
        body=body.replace("M碼".encode(), "L碼".encode()),
    )
    with pytest.raises(VerifyError):
        ADAPTER.verify(CONFIGURED, tampered, "")


def test_a_wrong_secret_fails(fixture_bytes: Any) -> None:
    body = fixture_bytes("meta", "x_text_image_and_status.json")
    with pytest.raises(VerifyError):
        ADAPTER.verify(CONFIGURED, signed(body, "another-secret"), "")


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"x-hub-signature-256": ""},
        {"x-hub-signature-256": "sha1=abc"},
        {"x-hub-signature-256": "sha256="},
    ],
)
def test_missing_or_malformed_header_fails(headers: dict[str, str]) -> None:
    with pytest.raises(VerifyError):
        ADAPTER.verify(CONFIGURED, WebhookRequest(method="POST", url="", headers=headers, body=b"{}"), "")


def test_credentials_without_app_secret_never_fall_back_to_the_sandbox_secret() -> None:
    partial = ChannelConfig(id=4, kind="whatsapp_meta", config={"access_token": "EAAG"})
    with pytest.raises(VerifyError):
        ADAPTER.verify(partial, signed(b"{}", sandbox_secret(partial)), "")


def test_event_id_is_the_sha256_of_the_raw_body(fixture_bytes: Any) -> None:
    body = fixture_bytes("meta", "x_statuses.json")
    request = signed(body, "app-secret")
    assert ADAPTER.event_id(CONFIGURED, request, "") == hashlib.sha256(body).hexdigest()


def test_event_id_refuses_a_body_that_is_not_json() -> None:
    with pytest.raises(ParseError):
        ADAPTER.event_id(CONFIGURED, signed(b"<xml/>", "app-secret"), "")


def test_challenge_answers_only_a_matching_subscribe() -> None:
    query = {"hub.mode": "subscribe", "hub.verify_token": "verify-me", "hub.challenge": "1158201444"}
    assert ADAPTER.challenge(CONFIGURED, query) == "1158201444"
    assert ADAPTER.challenge(CONFIGURED, {**query, "hub.verify_token": "nope"}) is None
    assert ADAPTER.challenge(CONFIGURED, {**query, "hub.mode": "unsubscribe"}) is None
    assert ADAPTER.challenge(CONFIGURED, {"hub.mode": "subscribe", "hub.challenge": "1"}) is None
    assert ADAPTER.challenge(SANDBOX, {**query, "hub.verify_token": "sandbox:4"}) == "1158201444"


def test_config_checks() -> None:
    assert ADAPTER.validate_config({}) == {}
    with pytest.raises(ValueError, match="unknown config keys"):
        ADAPTER.validate_config({"token": "x"})
    with pytest.raises(ValueError, match="app_secret"):
        ADAPTER.validate_config({"phone_number_id": "1", "access_token": "t", "verify_token": "v"})
    with pytest.raises(ValueError, match="api_base"):
        ADAPTER.validate_config({"api_base": "graph.facebook.com"})
    public = ADAPTER.public_config(dict(CONFIGURED.config))
    assert public["app_secret"] == "***" and public["phone_number_id"] == "106540352242922"
