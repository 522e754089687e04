"""Hub's OutboundMessage as one python-telegram-bot call.

Buttons become an inline keyboard (reply buttons carry their id as callback data, cut to
Telegram's 64 bytes on a UTF-8 boundary; URL buttons open the URL): up to three buttons
share a row, more get a row each, and a list always has one row per item. Templates and
products have no Telegram form and are sent as their text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from channels.text import truncate_chars, truncate_utf8
from channels.types import Button, OutboundMessage

CALLBACK_DATA_BYTES = 64
MESSAGE_TEXT = 4096
CAPTION_TEXT = 1024
BUTTONS_PER_ROW = 3
MEDIA_METHODS = {"image": ("send_photo", "photo"), "video": ("send_video", "video"),
                 "audio": ("send_audio", "audio"), "document": ("send_document", "document")}


class RenderError(ValueError):
    """The message cannot be sent on Telegram (the reason is for a person)."""


@dataclass(frozen=True)
class BotCall:
    """A `telegram.Bot` method and its keyword arguments."""

    method: str
    arguments: dict[str, Any] = field(default_factory=dict)


def chat_id(message: OutboundMessage) -> int:
    """The private chat of a customer is their user id."""
    if message.to.kind != "telegram":
        raise RenderError(f"a {message.to.kind} identity cannot be reached on Telegram")
    try:
        return int(message.to.value)
    except ValueError as exc:
        raise RenderError(f"{message.to.value!r} is not a Telegram user id") from exc


def render(message: OutboundMessage) -> BotCall:
    """The Bot API call that sends `message`."""
    chat = chat_id(message)
    if message.kind == "media":
        if not message.media_url:
            raise RenderError("a media message needs a media_url")
        method, argument = MEDIA_METHODS.get(message.media_type or "", MEDIA_METHODS["document"])
        arguments: dict[str, Any] = {"chat_id": chat, argument: message.media_url}
        if message.text:
            arguments["caption"] = truncate_chars(message.text, CAPTION_TEXT)
        return BotCall(method, arguments)
    text = _text(message)
    if not text:
        raise RenderError("there is no text to send")
    arguments = {"chat_id": chat, "text": truncate_chars(text, MESSAGE_TEXT)}
    keyboard = _keyboard(message)
    if keyboard is not None:
        arguments["reply_markup"] = keyboard
    return BotCall("send_message", arguments)


def _text(message: OutboundMessage) -> str:
    body = message.text
    if not body and message.kind in ("buttons", "list"):
        body = " / ".join(button.title for button in message.buttons)
    if not body and message.kind == "template":
        body = " ".join(message.template_params)
    if message.kind in ("product", "product_list") and message.payload.get("url"):
        body = "\n".join(part for part in (body, str(message.payload["url"])) if part)
    return "\n\n".join(part for part in (message.header, body, message.footer) if part)


def _keyboard(message: OutboundMessage) -> InlineKeyboardMarkup | None:
    if message.kind not in ("buttons", "list") or not message.buttons:
        return None
    keys = [_key(button) for button in message.buttons]
    if message.kind == "list" or len(keys) > BUTTONS_PER_ROW:
        return InlineKeyboardMarkup([[key] for key in keys])
    return InlineKeyboardMarkup([keys])


def _key(button: Button) -> InlineKeyboardButton:
    if button.url:
        return InlineKeyboardButton(button.title, url=button.url)
    return InlineKeyboardButton(button.title, callback_data=truncate_utf8(button.id or button.title,
                                                                          CALLBACK_DATA_BYTES))
