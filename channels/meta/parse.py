"""WhatsApp Cloud API webhook bodies turned into provider-neutral events. Pure functions."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from channels.identities import phone_identity, unique
from channels.types import (
    IdentityRef,
    InboundMessage,
    MessageKind,
    ParsedEvents,
    ParseError,
    ReceiptStatus,
    StatusUpdate,
)

MEDIA_TYPES: frozenset[str] = frozenset({"image", "audio", "video", "document", "sticker"})
RECEIPT_STATUSES: frozenset[str] = frozenset({"sent", "delivered", "read", "failed"})

Json = dict[str, Any]


def load_body(body: bytes) -> Json:
    """The JSON object of a webhook body; ParseError when it is not one."""
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        raise ParseError(f"the body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ParseError("the body is not a JSON object")
    return data


def parse_body(body: bytes, *, phone_number_id: str | None = None) -> ParsedEvents:
    """Every message and status of a webhook body, in the order Meta sent them.

    One Meta app (one app secret) often serves several numbers, so a correctly signed body may be
    another channel's: with `phone_number_id`, a change whose `metadata.phone_number_id` differs is
    left out and counted in `foreign`, never read as this channel's.
    """
    data = load_body(body)
    if data.get("object") != "whatsapp_business_account":
        return ParsedEvents()
    messages: list[InboundMessage] = []
    statuses: list[StatusUpdate] = []
    foreign = 0
    for entry in _objects(data.get("entry")):
        for change in _objects(entry.get("changes")):
            value = change.get("value")
            if change.get("field") != "messages" or not isinstance(value, dict):
                continue
            if phone_number_id is not None and _text(_dict(value.get("metadata")).get("phone_number_id")) \
                    != phone_number_id:
                foreign += 1
                continue
            contacts = list(_objects(value.get("contacts")))
            for raw in _objects(value.get("messages")):
                message = parse_message(raw, contacts)
                if message is not None:
                    messages.append(message)
            for raw in _objects(value.get("statuses")):
                status = parse_status(raw)
                if status is not None:
                    statuses.append(status)
    return ParsedEvents(messages=tuple(messages), statuses=tuple(statuses), foreign=foreign)


def parse_message(raw: Json, contacts: list[Json]) -> InboundMessage | None:
    """One customer message; None when it names no customer or has no id."""
    message_id = raw.get("id")
    wa_id = _text(raw.get("from"))
    user_id = _text(raw.get("from_user_id"))
    contact = _contact_for(contacts, wa_id, user_id)
    if contact is not None:
        wa_id = wa_id or _text(contact.get("wa_id"))
        user_id = user_id or _text(contact.get("user_id"))
    identities = unique([phone_identity(wa_id), IdentityRef("whatsapp_user", user_id) if user_id else None])
    if not message_id or not identities:
        return None
    kind, text, payload = _content(raw)
    context = _dict(raw.get("context"))
    reply_to = _text(context.get("id"))
    if kind == "reaction":
        reply_to = payload.get("message_id") or reply_to
    for extra in ("referral", "errors"):
        if extra in raw and kind != "unsupported":
            payload[extra] = raw[extra]
    if context.get("referred_product"):
        payload["referred_product"] = context["referred_product"]
    profile = contact.get("profile") if contact else None
    return InboundMessage(
        provider_message_id=str(message_id),
        identities=identities,
        kind=kind,
        sent_at=unix_time(raw.get("timestamp")),
        text=text,
        payload=payload,
        profile_name=_text(profile.get("name")) if isinstance(profile, dict) else None,
        reply_to_provider_id=reply_to,
    )


def parse_status(raw: Json) -> StatusUpdate | None:
    """One delivery receipt; None for statuses Hub does not track ("deleted", "warning", ...)."""
    status = raw.get("status")
    message_id = raw.get("id")
    if status not in RECEIPT_STATUSES or not message_id:
        return None
    code: str | None = None
    reason: str | None = None
    errors = list(_objects(raw.get("errors")))
    if errors:
        error = errors[0]
        code = str(error["code"]) if error.get("code") is not None else None
        data = error.get("error_data")
        details = data.get("details") if isinstance(data, dict) else None
        reason = _text(details) or _text(error.get("message")) or _text(error.get("title"))
    receipt: ReceiptStatus = status
    return StatusUpdate(
        provider_message_id=str(message_id),
        status=receipt,
        at=unix_time(raw.get("timestamp")),
        error_code=code,
        error_reason=reason,
        reference=_text(raw.get("biz_opaque_callback_data")),
    )


def unix_time(value: Any) -> datetime:
    """An aware UTC datetime from Meta's unix-seconds string; ParseError when it is not one."""
    try:
        return datetime.fromtimestamp(int(str(value)), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError) as exc:
        raise ParseError(f"bad timestamp {value!r}") from exc


def _content(raw: Json) -> tuple[MessageKind, str | None, dict[str, Any]]:
    kind = raw.get("type")
    body = raw.get(kind) if isinstance(kind, str) else None
    if not isinstance(body, dict):
        # contacts is the one type whose body is a list
        if kind == "contacts" and isinstance(body, list):
            names = [_text(_dict(item.get("name")).get("formatted_name")) for item in _objects(body)]
            text = ", ".join(name for name in names if name)
            return "contacts", text or None, {"contacts": body}
        return "unsupported", None, {"raw": raw}
    if kind == "text":
        return "text", _text(body.get("body")), {}
    if kind in MEDIA_TYPES:
        return kind, _text(body.get("caption")), _media_payload(body)
    if kind == "location":
        payload = {key: body.get(key) for key in ("latitude", "longitude", "name", "address")}
        payload.update({key: value for key, value in body.items() if key not in payload})
        return "location", _text(body.get("name")), payload
    if kind == "interactive":
        return _interactive(raw, body)
    if kind == "button":
        button_payload = body.get("payload")
        title = _text(body.get("text"))
        return "button_reply", title, {"id": button_payload, "title": title, "payload": button_payload}
    if kind == "order":
        order = {"catalog_id": body.get("catalog_id"), "product_items": body.get("product_items") or []}
        order.update({key: value for key, value in body.items() if key not in order})
        return "order", _text(body.get("text")), order
    if kind == "reaction":
        emoji = _text(body.get("emoji"))
        return "reaction", emoji, {"message_id": body.get("message_id"), "emoji": emoji}
    if kind == "system":
        return "system", _text(body.get("body")), dict(body)
    return "unsupported", None, {"raw": raw}


def _interactive(raw: Json, body: Json) -> tuple[MessageKind, str | None, dict[str, Any]]:
    reply_type = body.get("type")
    reply = body.get(reply_type) if isinstance(reply_type, str) else None
    if not isinstance(reply, dict):
        return "unsupported", None, {"raw": raw}
    if reply_type in ("button_reply", "list_reply"):
        title = _text(reply.get("title"))
        kind: MessageKind = "button_reply" if reply_type == "button_reply" else "list_reply"
        return kind, title, dict(reply)
    if reply_type == "nfm_reply":
        payload: dict[str, Any] = {"nfm_reply": reply}
        try:
            payload["response"] = json.loads(reply.get("response_json") or "null")
        except ValueError:
            payload["response"] = None
        return "interactive", _text(reply.get("body")), payload
    return "unsupported", None, {"raw": raw}


def _media_payload(body: Json) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "media_id": body.get("id"),
        "mime_type": body.get("mime_type"),
        "sha256": body.get("sha256"),
        "caption": body.get("caption"),
        "filename": body.get("filename"),
    }
    payload.update({key: value for key, value in body.items() if key not in ("id", *payload)})
    return payload


def _contact_for(contacts: list[Json], wa_id: str | None, user_id: str | None) -> Json | None:
    for contact in contacts:
        if (wa_id and contact.get("wa_id") == wa_id) or (user_id and contact.get("user_id") == user_id):
            return contact
    # a body with a single contact and a single sender needs no matching
    return contacts[0] if len(contacts) == 1 and not (wa_id or user_id) else None


def _objects(value: Any) -> list[Json]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def _dict(value: Any) -> Json:
    return value if isinstance(value, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value != "" else None
