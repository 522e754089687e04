"""The explicit list of adapters, by channel kind."""

from __future__ import annotations

from channels.base import Adapter
from channels.meta import MetaWhatsApp
from channels.telegram import Telegram
from channels.twilio import TwilioSMS, TwilioWhatsApp
from channels.webchat import WebChat

ADAPTERS: dict[str, Adapter] = {
    adapter.kind: adapter for adapter in (MetaWhatsApp(), TwilioSMS(), TwilioWhatsApp(), Telegram(), WebChat())
}


def adapter_for(kind: str) -> Adapter:
    """The adapter of a channel kind; KeyError for an unknown kind."""
    return ADAPTERS[kind]
