"""The adapter protocol the core drives: verify, identify, parse, send."""

from __future__ import annotations

import hmac
from abc import ABC, abstractmethod
from typing import Any, ClassVar

from channels.config import MARKET_KEYS, check_market
from channels.media import FetchedMedia
from channels.types import (
    ChannelConfig,
    OutboundMessage,
    ParsedEvents,
    SendResult,
    VerifyError,
    WebhookRequest,
)


class Adapter(ABC):
    """One provider. Stateless: credentials arrive with every call as a `ChannelConfig`."""

    kind: ClassVar[str]
    """The channel kind in the contract (`whatsapp_meta`, `sms_twilio`, ...)."""
    provider: ClassVar[str]
    """The webhook path family (`/webhooks/{provider}/...`)."""
    secret_keys: ClassVar[frozenset[str]] = frozenset()
    """Config keys that are never returned or logged."""
    config_keys: ClassVar[frozenset[str]] = frozenset({"api_base"})
    """Every config key the channel accepts."""
    phone_identity: ClassVar[str] = "sms"
    """What a `phone` identity from this channel is stored as: `sms` or `whatsapp`."""
    identity_kinds: ClassVar[tuple[str, ...]] = ("phone",)
    """The identity kinds this channel can send to, most preferred first."""
    reply_window_hours: ClassVar[int | None] = None
    """Free-form replies are refused this long after the customer's last message (WhatsApp: 24)."""
    optout_blocks_all: ClassVar[bool] = False
    """After STOP nothing but the confirmation may go out (SMS carriers' rule); chat apps only stop marketing."""
    endpoints: ClassVar[frozenset[str]] = frozenset({""})
    """Webhook sub-paths: `""` is `/webhooks/{provider}/{id}`, else `/webhooks/{provider}/{id}/{endpoint}`."""

    def validate_config(self, config: dict[str, Any]) -> dict[str, Any]:
        """Return the config to store, or raise ValueError with a sentence for the admin."""
        unknown = sorted(set(config) - self.config_keys - MARKET_KEYS)
        if unknown:
            raise ValueError(f"unknown config keys for {self.kind}: {', '.join(unknown)}")
        return check_market(dict(config))

    def public_config(self, config: dict[str, Any]) -> dict[str, Any]:
        """The config with every secret replaced by a mark that it is set."""
        return {key: ("***" if key in self.secret_keys and value else value) for key, value in config.items()}

    def uses_sandbox(self, channel: ChannelConfig) -> bool:
        """True when the channel has no credentials and so talks to Hub's own sandbox."""
        return not any(channel.get(key) for key in self.secret_keys)

    @abstractmethod
    def verify(self, channel: ChannelConfig, request: WebhookRequest, endpoint: str) -> None:
        """Raise VerifyError unless the request carries the provider's valid signature."""

    @abstractmethod
    def event_id(self, channel: ChannelConfig, request: WebhookRequest, endpoint: str) -> str:
        """A key that is the same each time the provider delivers the same event."""

    @abstractmethod
    def parse(self, channel: ChannelConfig, body: bytes, endpoint: str) -> ParsedEvents:
        """Turn a stored webhook body into provider-neutral events. Pure; raises ParseError."""

    @abstractmethod
    async def send(self, channel: ChannelConfig, message: OutboundMessage) -> SendResult:
        """Send one message through the provider's API at the channel's `api_base`."""

    async def fetch_media(self, channel: ChannelConfig, payload: dict[str, Any], index: int,
                          max_bytes: int) -> FetchedMedia:
        """Download attachment `index` of an inbound message whose parsed payload is `payload`."""
        return FetchedMedia(ok=False, error=f"{self.kind} has no media to fetch", permanent=True)

    async def acknowledge(self, channel: ChannelConfig, payload: dict[str, Any]) -> SendResult | None:
        """Tell the provider that a customer's button tap (parsed payload `payload`) was received; None when the
        provider needs no answer. Telegram's client shows a spinner on the button until it is answered."""
        return None

    def challenge(self, channel: ChannelConfig, query: dict[str, str]) -> str | None:
        """Answer a provider's GET verification handshake, or None when it does not match."""
        return None

    def ack_body(self, endpoint: str) -> tuple[bytes, str]:
        """What to answer a webhook with once the event is stored."""
        return b'{"ok":true}', "application/json"


def same_secret(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison that is False when either side is missing."""
    if not given or not expected:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())


def require(condition: bool, reason: str) -> None:
    if not condition:
        raise VerifyError(reason)
