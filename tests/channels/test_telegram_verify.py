"""Telegram webhooks: the secret-token header and config checks."""

from __future__ import annotations

from typing import Any

import pytest

from channels.sandbox_secrets import sandbox_secret
from channels.telegram import Telegram
from channels.types import ChannelConfig, VerifyError, WebhookRequest

ADAPTER = Telegram()
CONFIGURED = ChannelConfig(
    id=8, kind="telegram", config={"bot_token": "7000000001:AAH", "secret_token": "s3cr3t_T0ken"}
)
SANDBOX = ChannelConfig(id=8, kind="telegram", config={})


def request(body: bytes, secret: str | None) -> WebhookRequest:
    headers = {} if secret is None else {"x-telegram-bot-api-secret-token": secret}
    return WebhookRequest(method="POST", url="", headers=headers, body=body)


def test_the_channel_secret_passes(fixture_bytes: Any) -> None:
    ADAPTER.verify(CONFIGURED, request(fixture_bytes("telegram", "x_message_text.json"), "s3cr3t_T0ken"), "")


@pytest.mark.parametrize("secret", [None, "", "s3cr3t_T0keN", "sandbox:8"])
def test_missing_or_wrong_secret_fails(fixture_bytes: Any, secret: str | None) -> None:
    with pytest.raises(VerifyError):
        ADAPTER.verify(CONFIGURED, request(fixture_bytes("telegram", "x_message_text.json"), secret), "")


def test_sandbox_channel_expects_the_sandbox_secret(fixture_bytes: Any) -> None:
    body = fixture_bytes("telegram", "x_message_text.json")
    ADAPTER.verify(SANDBOX, request(body, sandbox_secret(SANDBOX)), "")
    with pytest.raises(VerifyError):
        ADAPTER.verify(SANDBOX, request(body, "s3cr3t_T0ken"), "")


def test_a_bot_token_without_webhook_secret_is_refused_and_never_sandboxed() -> None:
    with pytest.raises(ValueError, match="secret_token"):
        ADAPTER.validate_config({"bot_token": "7000000001:AAH"})
    half = ChannelConfig(id=8, kind="telegram", config={"bot_token": "7000000001:AAH"})
    with pytest.raises(VerifyError):
        ADAPTER.verify(half, request(b"{}", sandbox_secret(half)), "")


def test_public_config_masks_secrets() -> None:
    assert ADAPTER.public_config(dict(CONFIGURED.config)) == {"bot_token": "***", "secret_token": "***"}
