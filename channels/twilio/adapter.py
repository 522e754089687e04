"""Twilio SMS (`sms_twilio`) and Twilio WhatsApp (`whatsapp_twilio`): one protocol, two kinds."""

from __future__ import annotations

from typing import Any, ClassVar
from urllib.parse import urlsplit

import aiohttp
from multidict import MultiDict
from twilio.request_validator import RequestValidator

from channels.base import Adapter, require
from channels.config import check_api_base, check_required, resolve_api_base
from channels.media import FetchedMedia, download
from channels.netguard import host_of
from channels.sandbox_secrets import sandbox_account_sid, sandbox_secret
from channels.twilio.parse import form_fields, form_pairs, message_sid, parse_form
from channels.twilio.render import RenderError, render
from channels.twilio.send import DEFAULT_API_BASE, create_message
from channels.types import (
    ChannelConfig,
    OutboundMessage,
    ParsedEvents,
    SendResult,
    VerifyError,
    WebhookRequest,
)

SIGNATURE_HEADER = "X-Twilio-Signature"
MEDIA_HOSTS = ("api.twilio.com",)
"""Where Twilio's `MediaUrl`s live; their redirects to storage get no credentials."""
EMPTY_TWIML = b'<?xml version="1.0" encoding="UTF-8"?><Response/>'


class TwilioAdapter(Adapter):
    """What Twilio SMS and Twilio WhatsApp share; subclasses set the kind and the `whatsapp:` prefix."""

    provider: ClassVar[str] = "twilio"
    whatsapp: ClassVar[bool] = False
    secret_keys: ClassVar[frozenset[str]] = frozenset({"auth_token"})
    config_keys: ClassVar[frozenset[str]] = frozenset(
        {"account_sid", "auth_token", "from_number", "api_base"}
    )
    endpoints: ClassVar[frozenset[str]] = frozenset({"inbound", "status"})
    identity_kinds: ClassVar[tuple[str, ...]] = ("phone",)

    def validate_config(self, config: dict[str, Any]) -> dict[str, Any]:
        """Unknown keys, credentials without a sender and a bad api_base are refused."""
        clean = super().validate_config(config)
        if clean.get("auth_token") or clean.get("account_sid"):
            check_required(clean, ("account_sid", "auth_token"), self.kind)
            if not (clean.get("from_number") or clean.get("messaging_service_sid")):
                alternative = "" if self.whatsapp else " or messaging_service_sid"
                raise ValueError(f"{self.kind} needs from_number{alternative}")
        check_api_base(clean)
        return clean

    def auth_token(self, channel: ChannelConfig) -> str:
        """The key of webhook signatures and API auth: `auth_token`, or the sandbox secret."""
        token = channel.get("auth_token")
        if isinstance(token, str) and token:
            return token
        return sandbox_secret(channel)

    def webhook_url(self, channel: ChannelConfig, request: WebhookRequest, endpoint: str) -> str:
        """The URL Twilio signed: Hub's public URL (not the Host header) plus the request's query."""
        url = f"{channel.public_url.rstrip('/')}/webhooks/twilio/{channel.id}/{endpoint}"
        query = urlsplit(request.url).query
        return f"{url}?{query}" if query else url

    def verify(self, channel: ChannelConfig, request: WebhookRequest, endpoint: str) -> None:
        """`X-Twilio-Signature` checked with the SDK's RequestValidator over the form fields."""
        signature = request.header(SIGNATURE_HEADER)
        if not signature:
            raise VerifyError(f"missing {SIGNATURE_HEADER} header")
        try:
            params: MultiDict[str] = MultiDict(form_pairs(request.body))
        except ValueError as exc:
            raise VerifyError("the body is not a form post") from exc
        validator = RequestValidator(self.auth_token(channel))
        url = self.webhook_url(channel, request, endpoint)
        require(validator.validate(url, params, signature), "bad signature")

    def event_id(self, channel: ChannelConfig, request: WebhookRequest, endpoint: str) -> str:
        """The MessageSid of a message; MessageSid:MessageStatus[:ErrorCode] of a receipt."""
        fields = form_fields(request.body)
        sid = message_sid(fields)
        if endpoint != "status":
            return sid
        key = f"{sid}:{fields.get('MessageStatus') or fields.get('SmsStatus') or ''}"
        return f"{key}:{fields['ErrorCode']}" if fields.get("ErrorCode") else key

    def parse(self, channel: ChannelConfig, body: bytes, endpoint: str) -> ParsedEvents:
        """The post's event if it is for this channel's account (and, for a message, its number).

        A Messaging Service sends from a pool of numbers, so only the account is held to then.
        """
        account = channel.get("account_sid")
        number = None if channel.get("messaging_service_sid") else channel.get("from_number")
        return parse_form(body, endpoint, account_sid=str(account) if account else None,
                          number=str(number) if number else None)

    def ack_body(self, endpoint: str) -> tuple[bytes, str]:
        """Empty TwiML: Hub replies later through the API, never in the webhook answer."""
        return EMPTY_TWIML, "text/xml"

    def api_base(self, channel: ChannelConfig) -> str:
        """Where sends go: `api_base`, the sandbox for a sandbox channel, or the provider's API."""
        return resolve_api_base(channel, default=DEFAULT_API_BASE, sandbox=self.uses_sandbox(channel),
                                provider=self.provider)

    async def fetch_media(self, channel: ChannelConfig, payload: dict[str, Any], index: int,
                          max_bytes: int) -> FetchedMedia:
        """`MediaUrl{index}`, fetched with the account's basic auth (Twilio may redirect to storage)."""
        media = payload.get("media") or []
        if index >= len(media) or not media[index].get("url"):
            return FetchedMedia(ok=False, error="the message has no such media", permanent=True)
        account = str(channel.get("account_sid") or sandbox_account_sid(channel))
        auth = aiohttp.BasicAuth(account, self.auth_token(channel)).encode()
        hosts = (*MEDIA_HOSTS, host_of(self.api_base(channel)))  # the account's auth goes nowhere else
        return await download(str(media[index]["url"]), max_bytes=max_bytes, allow_private=channel.allow_private_urls,
                              credentials={"Authorization": auth}, credential_hosts=hosts,
                              declared_type=media[index].get("content_type"))

    async def send(self, channel: ChannelConfig, message: OutboundMessage) -> SendResult:
        """One attempt through the SDK's `messages.create` (native buttons via a Content resource); errors as values."""
        try:
            rendered = render(channel, message, whatsapp=self.whatsapp)
        except RenderError as exc:
            return SendResult(ok=False, error_code="render", error_reason=str(exc), permanent=True)
        return await create_message(
            account_sid=str(channel.get("account_sid") or sandbox_account_sid(channel)),
            auth_token=self.auth_token(channel),
            api_base=self.api_base(channel),
            arguments=rendered.arguments,
            allow_private=channel.allow_private_urls,
            content=rendered.content,
            cache_key=(channel.id, self.api_base(channel)),
        )


class TwilioSMS(TwilioAdapter):
    """SMS through Twilio, from a number or a Messaging Service."""

    kind: ClassVar[str] = "sms_twilio"
    config_keys: ClassVar[frozenset[str]] = TwilioAdapter.config_keys | {"messaging_service_sid"}
    optout_blocks_all: ClassVar[bool] = True


class TwilioWhatsApp(TwilioAdapter):
    """WhatsApp through Twilio: the same API with `whatsapp:` addresses."""

    kind: ClassVar[str] = "whatsapp_twilio"
    whatsapp: ClassVar[bool] = True
    identity_kinds: ClassVar[tuple[str, ...]] = ("phone", "whatsapp_user")
    reply_window_hours: ClassVar[int | None] = 24
    phone_identity: ClassVar[str] = "whatsapp"
