"""Telegram Bot API updates as provider-neutral events. Pure functions.

Telegram message ids are unique only within a chat, so Hub's provider message id for a
Telegram message is "{chat_id}:{message_id}". An edit is a new event with its own id
("{chat_id}:{message_id}:edited:{edit_date}"). Updates without a date (callback queries,
pre-checkout queries) are stamped with the time they are parsed.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from channels.types import (
    IdentityRef,
    InboundMessage,
    MessageKind,
    ParsedEvents,
    ParseError,
    ProfileUpdate,
)

Json = dict[str, Any]
FILE_FIELDS = ("file_id", "file_unique_id", "mime_type", "file_size")
MEDIA_KINDS: dict[str, MessageKind] = {
    "voice": "audio",
    "audio": "audio",
    "video": "video",
    "video_note": "video",
    "animation": "video",
    "document": "document",
    "sticker": "sticker",
}


def load_update(body: bytes) -> Json:
    """The JSON object of an update; ParseError when the body is not one."""
    try:
        update = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ParseError(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(update, dict) or not isinstance(update.get("update_id"), int):
        raise ParseError("the body is not a Telegram update (no update_id)")
    return update


def parse_update(body: bytes, *, now: datetime | None = None) -> ParsedEvents:
    """The events of one update; update kinds Hub does not handle give no events."""
    update = load_update(body)
    at = now or datetime.now(UTC)
    for key in ("message", "edited_message"):
        if isinstance(update.get(key), dict):
            message = parse_message(update[key], edited=key == "edited_message")
            return ParsedEvents(messages=(message,) if message else ())
    if isinstance(update.get("callback_query"), dict):
        callback = parse_callback(update["callback_query"], at)
        return ParsedEvents(messages=(callback,) if callback else ())
    if isinstance(update.get("pre_checkout_query"), dict):
        checkout = parse_pre_checkout(update["pre_checkout_query"], at)
        return ParsedEvents(messages=(checkout,) if checkout else ())
    if isinstance(update.get("my_chat_member"), dict):
        profile = parse_chat_member(update["my_chat_member"])
        return ParsedEvents(profiles=(profile,) if profile else ())
    return ParsedEvents()


def message_key(chat_id: Any, message_id: Any) -> str:
    """Hub's id of a Telegram message: unique across chats."""
    return f"{chat_id}:{message_id}"


def parse_message(raw: Json, *, edited: bool = False) -> InboundMessage | None:
    """A customer's message or edit; None when it has no sender (channel posts)."""
    sender = raw.get("from")
    chat = _dict(raw.get("chat"))
    if not isinstance(sender, dict) or "id" not in sender or "message_id" not in raw:
        return None
    key = message_key(chat.get("id", sender["id"]), raw["message_id"])
    kind, text, payload = _content(raw)
    if edited:
        payload["edited"] = True
        payload["original_provider_message_id"] = key
        key = f"{key}:edited:{raw.get('edit_date', '')}"
    reply = raw.get("reply_to_message")
    reply_to = message_key(chat.get("id"), reply["message_id"]) if isinstance(reply, dict) else None
    return InboundMessage(
        provider_message_id=key,
        identities=(IdentityRef("telegram", str(sender["id"])),),
        kind=kind,
        sent_at=_time(raw.get("edit_date") if edited else None, raw.get("date")),
        text=text,
        payload=payload,
        profile_name=profile_name(sender),
        locale=sender.get("language_code") or None,
        reply_to_provider_id=reply_to,
    )


def parse_callback(raw: Json, at: datetime) -> InboundMessage | None:
    """A tap on an inline button: kind "callback", text = callback data."""
    sender = raw.get("from")
    if not isinstance(sender, dict) or "id" not in sender or "id" not in raw:
        return None
    source = _dict(raw.get("message"))
    source_key = None
    if source:
        source_key = message_key(_dict(source.get("chat")).get("id"), source.get("message_id"))
    data = raw.get("data")
    return InboundMessage(
        provider_message_id=f"callback:{raw['id']}",
        identities=(IdentityRef("telegram", str(sender["id"])),),
        kind="callback",
        sent_at=at,
        text=data if isinstance(data, str) else None,
        payload={"callback_query_id": str(raw["id"]), "message_id": source_key, "data": data},
        profile_name=profile_name(sender),
        locale=sender.get("language_code") or None,
        reply_to_provider_id=source_key,
    )


def parse_pre_checkout(raw: Json, at: datetime) -> InboundMessage | None:
    """A payment about to be made: it must be answered (answerPreCheckoutQuery) within 10 s."""
    sender = raw.get("from")
    if not isinstance(sender, dict) or "id" not in sender or "id" not in raw:
        return None
    return InboundMessage(
        provider_message_id=f"pre_checkout:{raw['id']}",
        identities=(IdentityRef("telegram", str(sender["id"])),),
        kind="payment",
        sent_at=at,
        payload={"pre_checkout_query": raw},
        profile_name=profile_name(sender),
        locale=sender.get("language_code") or None,
    )


def parse_chat_member(raw: Json) -> ProfileUpdate | None:
    """The customer blocked (kicked) or unblocked the bot in their private chat."""
    chat = _dict(raw.get("chat"))
    sender = raw.get("from")
    member = _dict(raw.get("new_chat_member"))
    if chat.get("type") != "private" or not isinstance(sender, dict) or "id" not in sender:
        return None
    blocked = {"kicked": True, "member": False}.get(member.get("status", ""))
    if blocked is None:
        return None
    return ProfileUpdate(
        identities=(IdentityRef("telegram", str(sender["id"])),),
        profile_name=profile_name(sender),
        blocked=blocked,
    )


def profile_name(user: Json) -> str | None:
    """First and last name, as Telegram shows them."""
    parts = [user.get("first_name"), user.get("last_name")]
    name = " ".join(part for part in parts if isinstance(part, str) and part)
    return name or None


def _content(raw: Json) -> tuple[MessageKind, str | None, dict[str, Any]]:
    caption = raw.get("caption") if isinstance(raw.get("caption"), str) else None
    if isinstance(raw.get("text"), str):
        payload = {"entities": raw["entities"]} if raw.get("entities") else {}
        return "text", raw["text"], payload
    if isinstance(raw.get("photo"), list) and raw["photo"]:
        largest = max(raw["photo"], key=lambda size: (size.get("width", 0) * size.get("height", 0),
                                                        size.get("file_size", 0)))
        return "image", caption, _file(largest, "width", "height")
    for field, kind in MEDIA_KINDS.items():
        if isinstance(raw.get(field), dict):
            payload = _file(raw[field], "duration", "file_name", "width", "height", "emoji")
            payload["media_type"] = field
            return kind, caption, payload
    if isinstance(raw.get("location"), dict):
        venue = _dict(raw.get("venue"))
        location = raw["location"]
        return "location", venue.get("title"), {
            "latitude": location.get("latitude"),
            "longitude": location.get("longitude"),
            "name": venue.get("title"),
            "address": venue.get("address"),
        }
    if isinstance(raw.get("contact"), dict):
        contact = raw["contact"]
        return "contacts", profile_name(contact), {"contacts": [contact]}
    if isinstance(raw.get("successful_payment"), dict):
        return "payment", None, {"successful_payment": raw["successful_payment"]}
    return "unsupported", caption, {"raw": raw}


def _dict(value: Any) -> Json:
    return value if isinstance(value, dict) else {}


def _file(raw: Json, *extra: str) -> dict[str, Any]:
    payload = {key: raw.get(key) for key in FILE_FIELDS}
    payload.update({key: raw[key] for key in extra if key in raw})
    return payload


def _time(*values: Any) -> datetime:
    for value in values:
        if isinstance(value, int):
            return datetime.fromtimestamp(value, tz=UTC)
    raise ParseError("the message has no date")
