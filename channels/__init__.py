"""Channel adapters: one per provider. Knows providers, never the database or Hub's core."""

from channels.registry import ADAPTERS, adapter_for
from channels.types import (
    Button,
    ChannelConfig,
    IdentityRef,
    InboundMessage,
    OutboundMessage,
    ParsedEvents,
    ProfileUpdate,
    SendResult,
    StatusUpdate,
    VerifyError,
    WebhookRequest,
)

__all__ = [
    "ADAPTERS",
    "Button",
    "ChannelConfig",
    "IdentityRef",
    "InboundMessage",
    "OutboundMessage",
    "ParsedEvents",
    "ProfileUpdate",
    "SendResult",
    "StatusUpdate",
    "VerifyError",
    "WebhookRequest",
    "adapter_for",
]
