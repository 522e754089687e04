"""Provider-neutral values that adapters hand to the core and take from it.

These are frozen value objects. Adapters keep whatever the provider sent that has no field
here in `payload` (or `raw`), so nothing is lost when a provider adds a field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

IdentityKind = Literal["phone", "whatsapp_user", "telegram", "webchat"]
"""How a customer is addressed. `phone` is E.164 and shared by SMS and WhatsApp, so the same
number on both is one contact; `whatsapp_user` is Meta's business-scoped user id."""

MessageKind = Literal[
    "text", "image", "audio", "video", "document", "sticker", "location", "contacts",
    "button_reply", "list_reply", "order", "reaction", "callback", "payment", "template",
    "interactive", "product", "note", "system", "unsupported",
]

ReceiptStatus = Literal["sent", "delivered", "read", "failed"]


class VerifyError(Exception):
    """The request is not from the provider (bad or missing signature or token)."""


class ParseError(ValueError):
    """The body is malformed: the reason is shown to the caller with a 400."""


@dataclass(frozen=True)
class ChannelConfig:
    """One channel record as an adapter sees it: its id, kind and provider settings."""

    id: int
    kind: str
    config: dict[str, Any]
    public_url: str = "http://127.0.0.1:8000"
    allow_private_urls: bool = False
    """The operator's `HUB_ALLOW_PRIVATE_URLS`: fetches and sends may reach loopback and private addresses."""

    def get(self, key: str, default: Any = None) -> Any:
        return self.config.get(key, default)

    def __repr__(self) -> str:  # never print secrets
        return f"ChannelConfig(id={self.id}, kind={self.kind!r})"


@dataclass(frozen=True)
class WebhookRequest:
    """What an adapter needs from an HTTP request to verify and parse it."""

    method: str
    url: str
    headers: dict[str, str]  # lower-case names
    body: bytes
    query: dict[str, str] = field(default_factory=dict)

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass(frozen=True)
class IdentityRef:
    """One way to reach a customer. `value` is E.164 for `phone`."""

    kind: IdentityKind
    value: str


@dataclass(frozen=True)
class InboundMessage:
    """A message a customer sent."""

    provider_message_id: str
    identities: tuple[IdentityRef, ...]
    kind: MessageKind
    sent_at: datetime
    text: str | None = None
    payload: dict[str, Any] = field(default_factory=dict)
    profile_name: str | None = None
    locale: str | None = None
    reply_to_provider_id: str | None = None

    @property
    def primary_identity(self) -> IdentityRef:
        return self.identities[0]


@dataclass(frozen=True)
class StatusUpdate:
    """A delivery receipt for a message Hub sent."""

    provider_message_id: str
    status: ReceiptStatus
    at: datetime
    error_code: str | None = None
    error_reason: str | None = None
    reference: str | None = None  # the `OutboundMessage.reference` the provider echoed, if it does


@dataclass(frozen=True)
class ProfileUpdate:
    """Something the provider told us about a customer outside a message (a blocked bot, say)."""

    identities: tuple[IdentityRef, ...]
    profile_name: str | None = None
    blocked: bool | None = None


@dataclass(frozen=True)
class ParsedEvents:
    """Everything one webhook body holds, in order."""

    messages: tuple[InboundMessage, ...] = ()
    statuses: tuple[StatusUpdate, ...] = ()
    profiles: tuple[ProfileUpdate, ...] = ()
    foreign: int = 0
    """Parts addressed to another number or account of the same provider app, left out (never stored here)."""


@dataclass(frozen=True)
class Button:
    """A reply button (`id` comes back in the reply) or a URL button."""

    title: str
    id: str | None = None
    url: str | None = None
    description: str | None = None


@dataclass(frozen=True)
class OutboundMessage:
    """A message Hub sends. `kind` picks the native rendering on each channel."""

    to: IdentityRef
    kind: Literal["text", "media", "buttons", "list", "template", "product", "product_list", "invoice"] = "text"
    text: str | None = None
    media_url: str | None = None
    media_type: str | None = None  # image, video, audio, document
    buttons: tuple[Button, ...] = ()
    header: str | None = None
    footer: str | None = None
    list_button: str | None = None
    template_name: str | None = None
    template_language: str | None = None
    template_params: tuple[str, ...] = ()
    payload: dict[str, Any] = field(default_factory=dict)
    # Hub's own name for the message ("hub:{id}"). A provider that can carries it and gives it back on the
    # message's receipts (Meta: biz_opaque_callback_data), so a receipt finds a message whose provider id
    # was never stored because its worker died between the provider's answer and the commit.
    reference: str | None = None


@dataclass(frozen=True)
class SendResult:
    """What happened to one send. Errors are values: `permanent` ones are not retried."""

    ok: bool
    provider_message_id: str | None = None
    error_code: str | None = None
    error_reason: str | None = None
    permanent: bool = False
    retry_after: float | None = None
