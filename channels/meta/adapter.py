"""The WhatsApp Cloud API adapter (`whatsapp_meta`)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, ClassVar

from channels.base import Adapter, require, same_secret
from channels.config import check_api_base, check_required, resolve_api_base
from channels.media import FetchedMedia
from channels.meta.media import fetch_graph_media
from channels.meta.parse import load_body, parse_body
from channels.meta.render import RenderError, render
from channels.meta.send import post_message
from channels.sandbox_secrets import sandbox_secret
from channels.types import (
    ChannelConfig,
    OutboundMessage,
    ParsedEvents,
    SendResult,
    VerifyError,
    WebhookRequest,
)

DEFAULT_API_VERSION = "v21.0"
DEFAULT_API_BASE = "https://graph.facebook.com"
SIGNATURE_HEADER = "X-Hub-Signature-256"


class MetaWhatsApp(Adapter):
    """WhatsApp through Meta's Cloud API: Graph `/messages` out, `X-Hub-Signature-256` webhooks in."""

    kind: ClassVar[str] = "whatsapp_meta"
    provider: ClassVar[str] = "meta"
    secret_keys: ClassVar[frozenset[str]] = frozenset({"access_token", "app_secret", "verify_token"})
    config_keys: ClassVar[frozenset[str]] = frozenset(
        {"phone_number_id", "access_token", "app_secret", "verify_token", "api_version", "api_base"}
    )
    endpoints: ClassVar[frozenset[str]] = frozenset({""})
    identity_kinds: ClassVar[tuple[str, ...]] = ("phone", "whatsapp_user")
    reply_window_hours: ClassVar[int | None] = 24
    phone_identity: ClassVar[str] = "whatsapp"

    def validate_config(self, config: dict[str, Any]) -> dict[str, Any]:
        """Unknown keys, a partial set of credentials and a bad api_base are refused."""
        clean = super().validate_config(config)
        if any(clean.get(key) for key in self.secret_keys):
            required = ("phone_number_id", "access_token", "app_secret", "verify_token")
            check_required(clean, required, self.kind)
        check_api_base(clean)
        return clean

    def app_secret(self, channel: ChannelConfig) -> str | None:
        """The HMAC key of webhook signatures: `app_secret`, or the sandbox secret for a sandbox channel."""
        if self.uses_sandbox(channel):
            return sandbox_secret(channel)
        secret = channel.get("app_secret")
        return secret if isinstance(secret, str) and secret else None

    def verify_token(self, channel: ChannelConfig) -> str | None:
        """The token of the GET handshake: `verify_token`, or the sandbox secret for a sandbox channel."""
        if self.uses_sandbox(channel):
            return sandbox_secret(channel)
        token = channel.get("verify_token")
        return token if isinstance(token, str) and token else None

    def challenge(self, channel: ChannelConfig, query: dict[str, str]) -> str | None:
        """Meta's GET handshake: the `hub.challenge` when mode and verify token match."""
        if query.get("hub.mode") != "subscribe":
            return None
        if not same_secret(query.get("hub.verify_token"), self.verify_token(channel)):
            return None
        return query.get("hub.challenge")

    def verify(self, channel: ChannelConfig, request: WebhookRequest, endpoint: str) -> None:
        """`X-Hub-Signature-256: sha256=<hex HMAC-SHA256 of the raw body>`, compared in constant time."""
        header = request.header(SIGNATURE_HEADER)
        if not header:
            raise VerifyError(f"missing {SIGNATURE_HEADER} header")
        scheme, _, given = header.partition("=")
        require(scheme.strip().lower() == "sha256" and bool(given), f"malformed {SIGNATURE_HEADER} header")
        secret = self.app_secret(channel)
        if secret is None:
            raise VerifyError("the channel has no app_secret to check signatures with")
        expected = hmac.new(secret.encode(), request.body, hashlib.sha256).hexdigest()
        require(hmac.compare_digest(given.strip().lower().encode(), expected.encode()), "bad signature")

    def event_id(self, channel: ChannelConfig, request: WebhookRequest, endpoint: str) -> str:
        """The SHA-256 of the raw body: Meta has no envelope id and resends the same bytes.

        Raises ParseError for a body that is not a JSON object, so it is refused with a 400.
        """
        load_body(request.body)
        return hashlib.sha256(request.body).hexdigest()

    def parse(self, channel: ChannelConfig, body: bytes, endpoint: str) -> ParsedEvents:
        """The body's events for this channel's number; other numbers' changes are left out and counted.

        A sandbox channel has no number to hold to (its secret derives from its id anyway).
        """
        number = channel.get("phone_number_id")
        return parse_body(body, phone_number_id=str(number) if number else None)

    def api_base(self, channel: ChannelConfig) -> str:
        """Where sends go: `api_base`, the sandbox for a sandbox channel, or the provider's API."""
        return resolve_api_base(channel, default=DEFAULT_API_BASE, sandbox=self.uses_sandbox(channel),
                                provider=self.provider)

    async def fetch_media(self, channel: ChannelConfig, payload: dict[str, Any], index: int,
                          max_bytes: int) -> FetchedMedia:
        """Graph's two steps: `GET /{version}/{media_id}` gives a short-lived URL, fetched with the token."""
        media_id = payload.get("media_id")
        if not media_id or index != 0:
            return FetchedMedia(ok=False, error="the message has no media id", permanent=True)
        token = str(channel.get("access_token") or sandbox_secret(channel))
        version = str(channel.get("api_version") or DEFAULT_API_VERSION).strip("/")
        return await fetch_graph_media(f"{self.api_base(channel)}/{version}/{media_id}", token, max_bytes,
                                       allow_private=channel.allow_private_urls,
                                       declared_type=payload.get("mime_type"), filename=payload.get("filename"))

    async def send(self, channel: ChannelConfig, message: OutboundMessage) -> SendResult:
        """One attempt through Graph's `/messages`; errors come back as values."""
        try:
            body = render(message)
        except RenderError as exc:
            return SendResult(ok=False, error_code="render", error_reason=str(exc), permanent=True)
        phone_number_id = channel.get("phone_number_id") or f"sandbox{channel.id}"
        api_base = self.api_base(channel)
        api_version = str(channel.get("api_version") or DEFAULT_API_VERSION).strip("/")
        token = channel.get("access_token") or sandbox_secret(channel)
        url = f"{api_base}/{api_version}/{phone_number_id}/messages"
        return await post_message(url, str(token), body, allow_private=channel.allow_private_urls)
