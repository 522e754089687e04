"""Webhooks the sandbox sends to Hub, signed with each provider's own scheme, and posting them."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from twilio.request_validator import RequestValidator

from channels.registry import adapter_for
from channels.sandbox_secrets import sandbox_secret
from channels.types import ChannelConfig

logger = logging.getLogger(__name__)

POST_TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Webhook:
    """One signed POST, ready to send."""

    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


def webhook_url(channel: ChannelConfig, endpoint: str = "") -> str:
    """Hub's webhook URL of a channel: `/webhooks/{provider}/{id}` plus the endpoint, if any."""
    provider = adapter_for(channel.kind).provider
    base = f"{channel.public_url.rstrip('/')}/webhooks/{provider}/{channel.id}"
    return f"{base}/{endpoint}" if endpoint else base


def meta_app_secret(channel: ChannelConfig) -> str:
    """The key of `X-Hub-Signature-256`: the channel's app secret, else the sandbox secret."""
    secret = channel.get("app_secret")
    if isinstance(secret, str) and secret and not adapter_for(channel.kind).uses_sandbox(channel):
        return secret
    return sandbox_secret(channel)


def twilio_auth_token(channel: ChannelConfig) -> str:
    """The key of `X-Twilio-Signature`: the channel's auth token, else the sandbox secret."""
    token = channel.get("auth_token")
    return token if isinstance(token, str) and token else sandbox_secret(channel)


def telegram_secret_token(channel: ChannelConfig) -> str:
    """The value of `X-Telegram-Bot-Api-Secret-Token`: the channel's secret token, else the sandbox secret."""
    token = channel.get("secret_token")
    if isinstance(token, str) and token and not adapter_for(channel.kind).uses_sandbox(channel):
        return token
    return sandbox_secret(channel)


def meta_webhook(channel: ChannelConfig, envelope: dict[str, Any]) -> Webhook:
    """A Graph webhook: compact JSON signed with `X-Hub-Signature-256: sha256=<hex>`."""
    body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
    digest = hmac.new(meta_app_secret(channel).encode(), body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/json",
        "X-Hub-Signature-256": f"sha256={digest}",
        "User-Agent": "facebookexternalua",
    }
    return Webhook(webhook_url(channel), body, headers)


def twilio_webhook(channel: ChannelConfig, url: str, fields: Sequence[tuple[str, str]]) -> Webhook:
    """A Twilio form post signed with `X-Twilio-Signature` over the exact URL and every field."""
    params: dict[str, str] = dict(fields)
    signature = RequestValidator(twilio_auth_token(channel)).compute_signature(url, params)
    headers = {
        "Content-Type": "application/x-www-form-urlencoded; charset=utf-8",
        "X-Twilio-Signature": signature,
        "User-Agent": "TwilioProxy/1.1",
        "I-Twilio-Idempotency-Token": hashlib.sha256(urlencode(list(fields)).encode()).hexdigest()[:36],
    }
    return Webhook(url, urlencode(list(fields)).encode(), headers)


def telegram_webhook(channel: ChannelConfig, update: dict[str, Any], url: str | None = None,
                     secret_token: str | None = None) -> Webhook:
    """A Telegram update with the secret-token header (the one set with setWebhook, if any)."""
    body = json.dumps(update, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Telegram-Bot-Api-Secret-Token": secret_token or telegram_secret_token(channel),
    }
    return Webhook(url or webhook_url(channel), body, headers)


async def post(webhook: Webhook) -> int | None:
    """POST the webhook; Hub's HTTP status, or None when Hub could not be reached. Never raises."""
    try:
        async with httpx.AsyncClient(timeout=POST_TIMEOUT_SECONDS) as client:
            answer = await client.post(webhook.url, content=webhook.body, headers=webhook.headers)
    except Exception as exc:  # a bad URL or a dead Hub must never take the sandbox down
        logger.warning("sandbox webhook to %s failed: %s", webhook.url, exc)
        return None
    if answer.status_code >= 300:
        logger.warning("sandbox webhook to %s answered %s: %s", webhook.url, answer.status_code, answer.text[:200])
    return answer.status_code
