"""Hub's OutboundMessage as one python-telegram-bot call.

Buttons become an inline keyboard (reply buttons carry their id as callback data, cut to
Telegram's 64 bytes on a UTF-8 boundary; URL buttons open the URL): up to three buttons
share a row, more get a row each, and a list always has one row per item. Buttons or a list
with an image (a product card) become `sendPhoto` with the text as its caption (1,024 characters)
and the same keyboard. Templates and products have no Telegram form and are sent as their text.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, LabeledPrice

from channels.text import truncate_chars, truncate_utf8
from channels.types import Button, OutboundMessage

CALLBACK_DATA_BYTES = 64
MESSAGE_TEXT = 4096
CAPTION_TEXT = 1024
BUTTONS_PER_ROW = 3
INVOICE_TITLE = 32
INVOICE_DESCRIPTION = 255
INVOICE_PAYLOAD_BYTES = 128
PRICE_LABEL = 32
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


def render(message: OutboundMessage, provider_token: str | None = None) -> BotCall:
    """The Bot API call that sends `message` (an invoice needs the channel's payment provider token)."""
    chat = chat_id(message)
    if message.kind == "invoice":
        return _invoice(chat, message, provider_token)
    if message.kind == "media":
        if not message.media_url:
            raise RenderError("a media message needs a media_url")
        method, argument = MEDIA_METHODS.get(message.media_type or "", MEDIA_METHODS["document"])
        arguments: dict[str, Any] = {"chat_id": chat, argument: message.media_url}
        if message.text:
            arguments["caption"] = truncate_chars(message.text, CAPTION_TEXT)
        return BotCall(method, arguments)
    text = _text(message)
    keyboard = _keyboard(message)
    if message.kind in ("buttons", "list") and message.media_type == "image" and message.media_url:
        arguments = {"chat_id": chat, "photo": message.media_url}
        if text:
            arguments["caption"] = truncate_chars(text, CAPTION_TEXT)
        if keyboard is not None:
            arguments["reply_markup"] = keyboard
        return BotCall("send_photo", arguments)
    if not text:
        raise RenderError("there is no text to send")
    arguments = {"chat_id": chat, "text": truncate_chars(text, MESSAGE_TEXT)}
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


def _invoice(chat: int, message: OutboundMessage, provider_token: str | None) -> BotCall:
    """`sendInvoice`: amounts are integers in the currency's smallest unit (JPY 4800 is ¥4,800; HKD 29600
    is HK$296.00), as Telegram's currencies.json and Hub's catalog both count them."""
    invoice = message.payload.get("invoice")
    if not isinstance(invoice, dict):
        raise RenderError("an invoice message needs payload.invoice")
    if not provider_token:
        raise RenderError("the channel has no payment_provider_token for Telegram payments")
    prices = invoice.get("prices") or []
    if not prices or not all(isinstance(p, dict) and isinstance(p.get("amount"), int) for p in prices):
        raise RenderError("an invoice needs prices, each with an integer amount")
    reference = str(invoice.get("payload") or "")
    if not reference or len(reference.encode()) > INVOICE_PAYLOAD_BYTES:
        raise RenderError("an invoice needs a payload of 1 to 128 bytes")
    return BotCall("send_invoice", {
        "chat_id": chat,
        "title": truncate_chars(str(invoice.get("title") or "Order"), INVOICE_TITLE),
        "description": truncate_chars(str(invoice.get("description") or invoice.get("title") or "Order"),
                                      INVOICE_DESCRIPTION),
        "payload": reference,
        "provider_token": provider_token,
        "currency": str(invoice.get("currency") or "").upper(),
        "prices": [LabeledPrice(truncate_chars(str(p.get("label") or "Item"), PRICE_LABEL), p["amount"])
                   for p in prices],
    })
