"""The Telegram Bot API adapter (`telegram`)."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, ClassVar

from channels.base import Adapter, require, same_secret
from channels.config import check_api_base, check_required, resolve_api_base
from channels.media import FetchedMedia
from channels.sandbox_secrets import sandbox_secret
from channels.telegram.media import fetch_file
from channels.telegram.parse import load_update, parse_update
from channels.telegram.render import BotCall, RenderError, render
from channels.telegram.send import CHAT_NOT_FOUND, DEFAULT_API_BASE, call_bot
from channels.types import ChannelConfig, OutboundMessage, ParsedEvents, SendResult, WebhookRequest

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"  # noqa: S105 (a header name, not a secret)


class Telegram(Adapter):
    """A Telegram bot: Bot API calls out, webhook updates with a secret-token header in."""

    kind: ClassVar[str] = "telegram"
    provider: ClassVar[str] = "telegram"
    secret_keys: ClassVar[frozenset[str]] = frozenset({"bot_token", "secret_token", "payment_provider_token"})
    config_keys: ClassVar[frozenset[str]] = frozenset({"bot_token", "secret_token", "api_base",
                                                      "payment_provider_token"})
    endpoints: ClassVar[frozenset[str]] = frozenset({""})
    identity_kinds: ClassVar[tuple[str, ...]] = ("telegram",)

    def validate_config(self, config: dict[str, Any]) -> dict[str, Any]:
        """Unknown keys, a token without a webhook secret (or the reverse) and a bad api_base are refused."""
        clean = super().validate_config(config)
        if clean.get("bot_token") or clean.get("secret_token"):
            check_required(clean, ("bot_token", "secret_token"), self.kind)
        check_api_base(clean)
        return clean

    def uses_sandbox(self, channel: ChannelConfig) -> bool:
        """No bot token and no webhook secret: the sandbox bot (a payment token alone changes nothing)."""
        return not (channel.get("bot_token") or channel.get("secret_token"))

    def secret_token(self, channel: ChannelConfig) -> str | None:
        """What every update's secret header must equal: `secret_token`, or the sandbox secret."""
        if self.uses_sandbox(channel):
            return sandbox_secret(channel)
        token = channel.get("secret_token")
        return token if isinstance(token, str) and token else None

    def bot_token(self, channel: ChannelConfig) -> str:
        token = channel.get("bot_token")
        return token if isinstance(token, str) and token else sandbox_secret(channel)

    def verify(self, channel: ChannelConfig, request: WebhookRequest, endpoint: str) -> None:
        """The secret-token header equals the channel's secret (constant-time)."""
        given = request.header(SECRET_HEADER)
        require(bool(given), f"missing {SECRET_HEADER} header")
        require(same_secret(given, self.secret_token(channel)), "bad secret token")

    def event_id(self, channel: ChannelConfig, request: WebhookRequest, endpoint: str) -> str:
        return str(load_update(request.body)["update_id"])

    def parse(self, channel: ChannelConfig, body: bytes, endpoint: str) -> ParsedEvents:
        return parse_update(body)

    def api_base(self, channel: ChannelConfig) -> str:
        """Where sends go: `api_base`, the sandbox for a sandbox channel, or the provider's API."""
        return resolve_api_base(channel, default=DEFAULT_API_BASE, sandbox=self.uses_sandbox(channel),
                                provider=self.provider)

    async def fetch_media(self, channel: ChannelConfig, payload: dict[str, Any], index: int,
                          max_bytes: int) -> FetchedMedia:
        file_id = payload.get("file_id")
        if not file_id or index != 0:
            return FetchedMedia(ok=False, error="the message has no file", permanent=True)
        declared = payload.get("mime_type") or ("image/jpeg" if "width" in payload and "media_type" not in payload
                                                else None)
        return await fetch_file(token=self.bot_token(channel), api_base=self.api_base(channel), file_id=file_id,
                                max_bytes=max_bytes, declared_type=declared, filename=payload.get("file_name"),
                                allow_private=channel.allow_private_urls)

    async def send(self, channel: ChannelConfig, message: OutboundMessage) -> SendResult:
        """One attempt through python-telegram-bot; errors come back as values."""
        try:
            call = render(message, provider_token=self.payment_provider_token(channel))
        except RenderError as exc:
            return SendResult(ok=False, error_code="render", error_reason=str(exc), permanent=True)
        result = await call_bot(token=self.bot_token(channel), api_base=self.api_base(channel), call=call,
                                allow_private=channel.allow_private_urls)
        if (call.method == "send_photo" and message.kind in ("buttons", "list") and result.error_code == "400"
                and result.error_reason != CHAT_NOT_FOUND):
            # Telegram could not fetch the card's picture ("failed to get HTTP URL content"): the card still
            # goes out, as text with its keyboard, rather than not at all.
            call = render(replace(message, media_url=None, media_type=None),
                          provider_token=self.payment_provider_token(channel))
            result = await call_bot(token=self.bot_token(channel), api_base=self.api_base(channel), call=call,
                                    allow_private=channel.allow_private_urls)
        return result

    def payment_provider_token(self, channel: ChannelConfig) -> str | None:
        """Telegram Payments: the token BotFather gives for a payment provider (a test token on the sandbox)."""
        token = channel.get("payment_provider_token")
        if isinstance(token, str) and token:
            return token
        return "sandbox-payments" if self.uses_sandbox(channel) else None

    async def acknowledge(self, channel: ChannelConfig, payload: dict[str, Any]) -> SendResult | None:
        """`answerCallbackQuery` for a tap on an inline button: the customer's client stops its spinner."""
        query_id = payload.get("callback_query_id")
        if not query_id:
            return None
        return await call_bot(token=self.bot_token(channel), api_base=self.api_base(channel),
                              call=BotCall("answer_callback_query", {"callback_query_id": str(query_id)}),
                              allow_private=channel.allow_private_urls)

    async def answer_pre_checkout(self, channel: ChannelConfig, query_id: str, ok: bool,
                                  error_message: str | None = None) -> SendResult:
        """`answerPreCheckoutQuery`: Telegram waits at most 10 seconds for it, then cancels the payment."""
        arguments: dict[str, Any] = {"pre_checkout_query_id": query_id, "ok": ok}
        if not ok:
            arguments["error_message"] = error_message or "Sorry, this order cannot be paid now."
        return await call_bot(token=self.bot_token(channel), api_base=self.api_base(channel),
                              call=BotCall("answer_pre_checkout_query", arguments),
                              allow_private=channel.allow_private_urls)
