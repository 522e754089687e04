"""The web chat widget (`webchat`): Hub itself is the provider.

Visitors talk to Hub's own WebSocket (`/webchat/{channel_id}/ws`), which checks the page's
origin and stores each visitor message as a raw event; this adapter parses those stored frames
and renders replies as cards handed to the core's transport. There are no provider webhooks.
"""

from __future__ import annotations

import re
import uuid
from typing import Any, ClassVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from channels.base import Adapter
from channels.config import check_api_base
from channels.types import ChannelConfig, OutboundMessage, ParsedEvents, SendResult, VerifyError, WebhookRequest
from channels.webchat import transport
from channels.webchat.frames import load_frame, parse_frame
from channels.webchat.identity import belongs_to
from channels.webchat.render import RenderError, card

MIN_SECRET = 16
DEFAULT_PORTS = {"http": 80, "https": 443}
HOST = re.compile(r"^(?:[a-z0-9-]+(?:\.[a-z0-9-]+)*|[0-9a-f:.]+)$")  # a DNS name, an IPv4 or an IPv6 address


def normalize_origin(value: str) -> str:
    """`scheme://host[:port]` in lower case, without a default port or trailing slash; ValueError if not one."""
    parts = urlsplit(value.strip())
    if parts.scheme not in DEFAULT_PORTS or not parts.hostname or parts.path not in ("", "/") \
            or parts.query or parts.fragment or parts.username or parts.password:
        raise ValueError(f"allowed_origins takes origins such as https://shop.example, not {value!r}")
    try:
        port = parts.port
    except ValueError:
        raise ValueError(f"{value!r} has a bad port") from None
    if not HOST.match(parts.hostname):
        raise ValueError(f"{value!r} has a bad host name (write international names in punycode, xn--…)")
    host = parts.hostname if ":" not in parts.hostname else f"[{parts.hostname}]"
    suffix = f":{port}" if port is not None and port != DEFAULT_PORTS[parts.scheme] else ""
    return f"{parts.scheme}://{host}{suffix}"


MAX_GREETING = 1000
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
CLOCK = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$|^24:00$")


def _texts(key: str, value: object) -> dict[str, str] | None:
    """A greeting or away message: one text, or one per language ({"en": ..., "ja": ..., "zh_Hant": ...})."""
    if value is None or value == "":
        return None
    texts = {"en": value} if isinstance(value, str) else value
    if not isinstance(texts, dict) or not texts or not all(
            isinstance(lang, str) and isinstance(text, str) and 0 < len(text) <= MAX_GREETING and len(lang) <= 20
            for lang, text in texts.items()):
        raise ValueError(f"{key} is a text or a map of language to text (each 1 to {MAX_GREETING} characters), "
                         f"such as {{\"en\": \"Hi!\", \"ja\": \"こんにちは\"}}")
    return {lang.replace("-", "_"): text for lang, text in texts.items()}


def _weekly(value: object) -> dict[str, list[list[str]]]:
    """Opening hours by day: {"mon": [["09:00", "18:00"]], ...}; a missing day is closed."""
    if not isinstance(value, dict):
        raise ValueError('business_hours maps days to ranges, such as {"mon": [["09:00", "18:00"]]}')
    clean: dict[str, list[list[str]]] = {}
    for day, ranges in value.items():
        if day not in DAYS:
            raise ValueError(f"business_hours: unknown day {day!r}; days are {', '.join(DAYS)}")
        if not isinstance(ranges, list) or not all(
                isinstance(pair, list) and len(pair) == 2 and all(isinstance(t, str) and CLOCK.match(t) for t in pair)
                and pair[0] != "24:00" for pair in ranges):
            raise ValueError(f'business_hours: {day} takes ranges of HH:MM times, such as [["09:00", "18:00"]]')
        clean[day] = [list(pair) for pair in ranges]
    return clean


class WebChat(Adapter):
    """An embeddable chat bubble on the shop's own site."""

    kind: ClassVar[str] = "webchat"
    provider: ClassVar[str] = "webchat"
    secret_keys: ClassVar[frozenset[str]] = frozenset({"identity_secret"})
    config_keys: ClassVar[frozenset[str]] = frozenset({"allowed_origins", "identity_secret", "api_base", "greeting",
                                                      "away_message", "timezone", "business_hours"})
    identity_kinds: ClassVar[tuple[str, ...]] = ("webchat",)
    reply_window_hours: ClassVar[int | None] = None
    endpoints: ClassVar[frozenset[str]] = frozenset()  # Hub serves the WebSocket itself: no webhooks

    def validate_config(self, config: dict[str, Any]) -> dict[str, Any]:
        """Origins must be http(s) origins; an identity secret, when set, at least 16 characters."""
        clean = super().validate_config(config)
        origins = clean.get("allowed_origins", [])
        if isinstance(origins, str):
            origins = [origins]
        if not isinstance(origins, list) or not all(isinstance(origin, str) for origin in origins):
            raise ValueError("allowed_origins must be a list of origins such as [\"https://shop.example\"]")
        clean["allowed_origins"] = sorted({normalize_origin(origin) for origin in origins})
        secret = clean.get("identity_secret")
        if secret is not None and (not isinstance(secret, str) or len(secret) < MIN_SECRET):
            raise ValueError(f"identity_secret must be a string of at least {MIN_SECRET} characters")
        check_api_base(clean)
        for key in ("greeting", "away_message"):
            if key in clean:
                clean[key] = _texts(key, clean[key])
        if "timezone" in clean:
            try:
                ZoneInfo(str(clean["timezone"]))
            except (ZoneInfoNotFoundError, ValueError):
                raise ValueError(f"timezone must be an IANA name such as Asia/Tokyo, "
                                 f"not {clean['timezone']!r}") from None
        if "business_hours" in clean and clean["business_hours"] is not None:
            clean["business_hours"] = _weekly(clean["business_hours"])
        return clean

    def uses_sandbox(self, channel: ChannelConfig) -> bool:
        """Never: Hub is the provider, so a widget without an identity secret is a real channel."""
        return False

    def allowed_origins(self, channel: ChannelConfig) -> frozenset[str]:
        """The page origins that may open the widget; none configured means Hub's own origin only."""
        configured = channel.get("allowed_origins") or []
        origins = {origin for origin in configured if isinstance(origin, str)}
        if origins:
            return frozenset(origins)
        hub = urlsplit(channel.public_url)
        return frozenset({normalize_origin(f"{hub.scheme}://{hub.netloc}")})

    def origin_allowed(self, channel: ChannelConfig, origin: str | None) -> bool:
        """True when a WebSocket's Origin header is one of the channel's allowed origins."""
        if not origin:
            return False
        try:
            return normalize_origin(origin) in self.allowed_origins(channel)
        except ValueError:
            return False

    def identity_secret(self, channel: ChannelConfig) -> str | None:
        secret = channel.get("identity_secret")
        return secret if isinstance(secret, str) and secret else None

    def verify(self, channel: ChannelConfig, request: WebhookRequest, endpoint: str) -> None:
        """Web chat has no provider webhooks: visitors come through Hub's WebSocket only."""
        raise VerifyError("web chat has no webhooks; the widget talks to /webchat/{channel_id}/ws")

    def event_id(self, channel: ChannelConfig, request: WebhookRequest, endpoint: str) -> str:
        return str(load_frame(request.body)["client_id"])

    def parse(self, channel: ChannelConfig, body: bytes, endpoint: str) -> ParsedEvents:
        return parse_frame(channel.id, body)

    async def send(self, channel: ChannelConfig, message: OutboundMessage) -> SendResult:
        """Render a card and hand it to the core's transport; errors come back as values."""
        if message.to.kind != "webchat" or not belongs_to(channel.id, message.to.value):
            return SendResult(ok=False, error_code="render", permanent=True,
                              error_reason="the contact has no web chat session on this channel")
        try:
            rendered = card(message)
        except RenderError as error:
            return SendResult(ok=False, error_code="render", error_reason=str(error), permanent=True)
        publish = transport.publisher()
        if publish is None:
            return SendResult(ok=False, error_code="no_transport",
                              error_reason="this process has no web chat transport; the reply will be retried")
        provider_id = f"wc_{uuid.uuid4().hex}"
        try:
            await publish(channel.id, message.to.value, {"provider_message_id": provider_id, "card": rendered})
        except Exception as error:  # the transport is down: a transient failure, retried with backoff
            return SendResult(ok=False, error_code="transport", error_reason=f"{type(error).__name__}: {error}"[:300])
        return SendResult(ok=True, provider_message_id=provider_id)
