"""Bot API objects the sandbox answers with (User, Message and its media) and the checks Telegram makes.

Shapes follow the Bot API reference and the recorded payloads under tests/fixtures/telegram/.
"""

from __future__ import annotations

import hashlib
import json
import mimetypes
import time
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from babel.numbers import format_currency, get_currency_precision

from channels.sandbox.state import ButtonView, MediaView
from channels.types import ChannelConfig

Json = dict[str, Any]
MEDIA_FIELDS = {"sendPhoto": "photo", "sendDocument": "document", "sendVideo": "video", "sendAudio": "audio"}
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_BYTES = 64
PAY_BUTTON = "pay"
"""The id the phone gives an invoice's Pay button (it sends no callback data: Telegram starts the payment)."""


class BotApiError(Exception):
    """A refusal in the Bot API's shape: HTTP status = `error_code`, and a description."""

    def __init__(self, status: int, description: str, parameters: Json | None = None) -> None:
        super().__init__(description)
        self.status, self.description, self.parameters = status, description, parameters


def json_param(value: Any) -> Any:
    """A parameter that is an object: JSON text in forms, itself in JSON bodies."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def bot_user(channel: ChannelConfig, token: str, *, full: bool = False) -> Json:
    """The bot as a User: its id is the token's number, or made up for a sandbox bot."""
    prefix = token.partition(":")[0]
    bot_id = int(prefix) if prefix.isdigit() else 8_000_000_000 + channel.id
    user: Json = {"id": bot_id, "is_bot": True, "first_name": "Hub Sandbox Bot",
                  "username": f"hub_sandbox_{channel.id}_bot"}
    if full:
        user.update({"can_join_groups": True, "can_read_all_group_messages": False,
                     "supports_inline_queries": False, "can_connect_to_business": False, "has_main_web_app": False})
    return user


def build_message(method: str, params: Json, bot: Json, chat_id: int, message_id: int,
                  base: Json | None = None) -> Json:
    """The Message a send method answers with; raises BotApiError for parameters Telegram refuses."""
    message: Json = dict(base) if base else {
        "message_id": message_id, "from": bot,
        "chat": {"id": chat_id, "first_name": "Customer", "type": "private"}, "date": int(time.time()),
    }
    if method == "sendMessage":
        text = params.get("text")
        if not isinstance(text, str) or not text.strip():
            raise BotApiError(400, "Bad Request: message text is empty")
        if len(text) > TEXT_LIMIT:
            raise BotApiError(400, "Bad Request: message is too long")
        message["text"] = text
    elif method in MEDIA_FIELDS:
        field = MEDIA_FIELDS[method]
        message[field] = _media(field, params.get(field), message_id)
        caption = params.get("caption")
        if caption:
            if len(str(caption)) > CAPTION_LIMIT:
                raise BotApiError(400, "Bad Request: message caption is too long")
            message["caption"] = str(caption)
    elif method == "sendInvoice":
        message["invoice"] = _invoice(params)
    markup = _inline_keyboard(params.get("reply_markup"))
    if markup is not None:
        message["reply_markup"] = markup
    return message


def record_fields(message: Json, params: Json) -> dict[str, Any]:
    """What the customer's phone shows of a message the bot sent with these parameters."""
    fields: dict[str, Any] = {"kind": "text", "text": message.get("text") or message.get("caption")}
    for field in MEDIA_FIELDS.values():
        if field in message:
            source = params.get(field)
            url = source if isinstance(source, str) and source.startswith(("http://", "https://")) else None
            name = source.get("upload") if isinstance(source, dict) else None
            fields["kind"] = field
            fields["media"] = (MediaView(field, url, name),)
    buttons = []
    if "invoice" in message:  # as a Telegram client draws it: title, description, the total, and Pay
        invoice = message["invoice"]
        total = format_amount(invoice["total_amount"], invoice["currency"])
        fields.update(kind="invoice", header=invoice["title"], text=invoice["description"], footer=total)
        keys = [key for row in (message.get("reply_markup") or {}).get("inline_keyboard") or [] for key in row]
        if not any(key.get("pay") for key in keys):  # no keyboard: the client adds "Pay <total>" itself
            buttons.append(ButtonView(f"Pay {total}", id=PAY_BUTTON, kind="pay"))
    for row in (message.get("reply_markup") or {}).get("inline_keyboard") or []:
        for key in row:
            if key.get("pay"):
                buttons.append(ButtonView(str(key.get("text")), id=PAY_BUTTON, kind="pay"))
            elif key.get("url"):
                buttons.append(ButtonView(str(key.get("text")), url=str(key["url"]), kind="url"))
            else:
                buttons.append(ButtonView(str(key.get("text")), id=key.get("callback_data"), kind="callback"))
    fields["buttons"] = tuple(buttons)
    return fields


def format_amount(amount_minor: int, currency: str) -> str:
    """An amount in the currency's smallest unit as Telegram's clients show it: 68000 HKD is HK$680.00,
    4800 JPY is ¥4,800 (the exponent of each currency as in Telegram's currencies.json, which follows ISO 4217)."""
    code = str(currency).upper()
    if code == "XTR":  # Telegram Stars: whole stars
        return f"⭐{amount_minor}"
    try:
        places = int(get_currency_precision(code))
        return str(format_currency(Decimal(int(amount_minor)).scaleb(-places), code, locale="en"))
    except (ValueError, TypeError, ArithmeticError):
        return f"{amount_minor} {code}"


def _media(field: str, value: Any, message_id: int) -> Any:
    if not value:
        raise BotApiError(400, f"Bad Request: there is no {field} in the request")
    source = value["upload"] if isinstance(value, dict) and "upload" in value else str(value)
    digest = hashlib.sha256(f"{source}:{message_id}".encode()).hexdigest()
    file: Json = {"file_id": f"BQACAgIAAxkBAA{digest[:40]}", "file_unique_id": f"AgAD{digest[40:52]}",
                  "file_size": 1024}
    url = source if isinstance(source, str) and source.startswith(("http://", "https://")) else None
    name = urlsplit(url).path.rsplit("/", 1)[-1] if url else (source if isinstance(source, str) else field)
    if field == "photo":
        small = {**file, "file_unique_id": file["file_unique_id"] + "s", "width": 90, "height": 90, "file_size": 1024}
        return [small, {**file, "width": 800, "height": 800, "file_size": 40960}]
    file["mime_type"] = mimetypes.guess_type(name or "")[0] or "application/octet-stream"
    if field == "document":
        file["file_name"] = name or "document"
    if field == "video":
        file.update({"width": 640, "height": 360, "duration": 1})
    if field == "audio":
        file["duration"] = 1
    return file


def _invoice(params: Json) -> Json:
    for name in ("title", "description", "payload", "currency"):
        if not params.get(name):
            raise BotApiError(400, f"Bad Request: parameter \"{name}\" is required")
    prices = json_param(params.get("prices"))
    if not isinstance(prices, list) or not prices:
        raise BotApiError(400, "Bad Request: can't parse prices JSON object")
    try:
        total = sum(int(price["amount"]) for price in prices)
    except (KeyError, TypeError, ValueError) as exc:
        raise BotApiError(400, "Bad Request: can't parse prices JSON object") from exc
    if str(params["currency"]) != "XTR" and not params.get("provider_token"):
        raise BotApiError(400, "Bad Request: PAYMENT_PROVIDER_INVALID")
    return {"title": str(params["title"]), "description": str(params["description"]), "start_parameter": "",
            "currency": str(params["currency"]), "total_amount": total}


def _inline_keyboard(raw: Any) -> Json | None:
    """The inline keyboard of `reply_markup`, checked as Telegram does; None for no (or a non-inline) markup."""
    if raw is None or raw == "":
        return None
    markup = json_param(raw)
    if not isinstance(markup, dict):
        raise BotApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    keyboard = markup.get("inline_keyboard")
    if keyboard is None:
        return None  # reply keyboards are shown by the client and not echoed in the Message
    if not isinstance(keyboard, list) or not all(isinstance(row, list) for row in keyboard):
        raise BotApiError(400, "Bad Request: can't parse inline keyboard button: InlineKeyboardButton must be an "
                               "Object")
    for row in keyboard:
        for key in row:
            _check_key(key)
    return {"inline_keyboard": keyboard}


def _check_key(key: Any) -> None:
    if not isinstance(key, dict) or not key.get("text"):
        raise BotApiError(400, "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the "
                               "inline keyboard")
    if "callback_data" in key:
        data = str(key["callback_data"]).encode()
        if not 1 <= len(data) <= CALLBACK_DATA_BYTES:
            raise BotApiError(400, "Bad Request: BUTTON_DATA_INVALID")
    elif "url" in key:
        if not str(key["url"]).startswith(("http://", "https://", "tg://")):
            raise BotApiError(400, "Bad Request: BUTTON_URL_INVALID")
    elif not any(name in key for name in ("web_app", "login_url", "switch_inline_query", "pay", "copy_text",
                                          "switch_inline_query_current_chat", "callback_game")):
        raise BotApiError(400, "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the "
                               "inline keyboard")
