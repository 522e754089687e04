"""Hub's OutboundMessage as the arguments of Twilio's `messages.create`.

SMS has no buttons: buttons and lists become a numbered text menu. WhatsApp through Twilio
sends rich content only as Content resources: up to 3 reply buttons or one link button become a
`twilio/quick-reply` or `twilio/call-to-action` resource (`render(...).content`, created once per
shape by the sender, see `channels.twilio.content`); a template, or any rich message whose payload
names an approved `content_sid` (the only thing WhatsApp takes outside the 24-hour window), is sent
with that `content_sid` (+ `content_variables`); everything else as the same numbered text.
A product card's `payload.link` (a path on Hub, or a URL) is written out above the menu, so an SMS
customer can open the product; on WhatsApp its image goes along as the message's media.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from channels.text import numbered_menu
from channels.twilio.content import NativeContent, native_content
from channels.twilio.parse import WHATSAPP_PREFIX
from channels.types import ChannelConfig, OutboundMessage

RICH_KINDS = frozenset({"buttons", "list", "template", "product", "product_list"})


class RenderError(ValueError):
    """The message cannot be sent on this channel (the reason is for a person)."""


def status_callback_url(channel: ChannelConfig) -> str:
    """Where Twilio posts this channel's delivery receipts."""
    return f"{channel.public_url.rstrip('/')}/webhooks/twilio/{channel.id}/status"


def address(message: OutboundMessage, *, whatsapp: bool) -> str:
    """The `To` of a message: E.164, with the `whatsapp:` prefix on WhatsApp."""
    if message.to.kind == "phone":
        return f"{WHATSAPP_PREFIX}{message.to.value}" if whatsapp else message.to.value
    if message.to.kind == "whatsapp_user" and whatsapp:
        return f"{WHATSAPP_PREFIX}{message.to.value}"
    channel = "WhatsApp" if whatsapp else "SMS"
    raise RenderError(f"a {message.to.kind} identity cannot be reached by {channel}")


def sender_fields(channel: ChannelConfig, *, whatsapp: bool) -> dict[str, Any]:
    """`from_` (or, on SMS, `messaging_service_sid` when configured)."""
    service = channel.get("messaging_service_sid")
    if service and not whatsapp:
        return {"messaging_service_sid": service}
    sender = str(channel.get("from_number") or "")
    if not sender:
        raise RenderError("the channel has no from_number")
    if whatsapp and not sender.startswith(WHATSAPP_PREFIX):
        sender = WHATSAPP_PREFIX + sender
    return {"from_": sender}


@dataclass(frozen=True)
class Rendered:
    """The `messages.create` arguments, and the Content resource whose SID goes in as `content_sid`."""

    arguments: dict[str, Any]
    content: NativeContent | None = None


def render(channel: ChannelConfig, message: OutboundMessage, *, whatsapp: bool) -> Rendered:
    """What the sender sends, and the preview shows: native buttons on WhatsApp where Twilio has them."""
    native = native_content(message) if whatsapp and not message.payload.get("content_sid") else None
    if native is None:
        return Rendered(create_arguments(channel, message, whatsapp=whatsapp))
    arguments: dict[str, Any] = {
        "to": address(message, whatsapp=whatsapp),
        "status_callback": status_callback_url(channel),
        **sender_fields(channel, whatsapp=whatsapp),
        "content_variables": native.content_variables(),
    }
    return Rendered(arguments, native)


def create_arguments(channel: ChannelConfig, message: OutboundMessage, *, whatsapp: bool) -> dict[str, Any]:
    """Keyword arguments for `client.messages.create_async`."""
    arguments: dict[str, Any] = {
        "to": address(message, whatsapp=whatsapp),
        "status_callback": status_callback_url(channel),
        **sender_fields(channel, whatsapp=whatsapp),
    }
    content_sid = message.payload.get("content_sid")
    if whatsapp and content_sid and message.kind in RICH_KINDS:
        arguments["content_sid"] = str(content_sid)
        variables = message.payload.get("content_variables")
        if variables is None and message.template_params:
            variables = {str(number): value for number, value in enumerate(message.template_params, start=1)}
        if variables is not None:
            encoded = variables if isinstance(variables, str) else json.dumps(variables, ensure_ascii=False)
            arguments["content_variables"] = encoded
        return arguments
    if message.kind == "media":
        if not message.media_url:
            raise RenderError("a media message needs a media_url")
        arguments["media_url"] = [message.media_url]
        if message.text:
            arguments["body"] = message.text
        return arguments
    text = _text(message, _link(channel, message.payload.get("link")))
    if not text:
        raise RenderError("there is no text to send")
    arguments["body"] = text
    if whatsapp and message.kind in ("buttons", "list") and message.media_type == "image" and message.media_url:
        arguments["media_url"] = [message.media_url]
    return arguments


def _link(channel: ChannelConfig, link: object) -> str | None:
    """A product link: a path on Hub becomes a URL at the channel's public URL."""
    if not isinstance(link, str) or not link:
        return None
    if link.startswith("/"):
        return channel.public_url.rstrip("/") + link
    return link if link.startswith(("https://", "http://")) else None


def _text(message: OutboundMessage, link: str | None = None) -> str | None:
    menu = message.kind in ("buttons", "list")
    lead = "\n".join(part for part in (message.text, link if menu else None) if part)
    text = numbered_menu(lead, message.buttons) if menu else message.text or ""
    if message.kind in ("product", "product_list") and message.payload.get("url"):
        text = "\n".join(part for part in (text, str(message.payload["url"])) if part)
    parts = [part for part in (message.header, text, message.footer) if part]
    return "\n\n".join(parts) or None
