"""Twilio webhook form posts (inbound messages and status callbacks) as provider-neutral events.

Twilio's webhooks carry no timestamp, so events are stamped with the time they are parsed.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl

from channels.identities import is_whatsapp_user_id, phone_identity, unique
from channels.twilio.errors import reason_for
from channels.types import (
    IdentityRef,
    InboundMessage,
    MessageKind,
    ParsedEvents,
    ParseError,
    ReceiptStatus,
    StatusUpdate,
)

WHATSAPP_PREFIX = "whatsapp:"
RECEIPTS: dict[str, ReceiptStatus] = {
    "sent": "sent",
    "delivered": "delivered",
    "read": "read",
    "undelivered": "failed",
    "failed": "failed",
}


def form_pairs(body: bytes) -> list[tuple[str, str]]:
    """Every field of a form-encoded body, duplicates kept, in order; ParseError if it is not one."""
    try:
        text = body.decode("utf-8")
        return parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text))
    except (UnicodeDecodeError, ValueError) as exc:
        raise ParseError(f"the body is not a form post: {exc}") from exc


def form_fields(body: bytes) -> dict[str, str]:
    """The first value of each field."""
    fields: dict[str, str] = {}
    for key, value in form_pairs(body):
        fields.setdefault(key, value)
    return fields


def message_sid(fields: dict[str, str]) -> str:
    sid = fields.get("MessageSid") or fields.get("SmsSid") or fields.get("SmsMessageSid")
    if not sid:
        raise ParseError("the form has no MessageSid")
    return sid


def parse_form(body: bytes, endpoint: str, *, now: datetime | None = None, account_sid: str | None = None,
               number: str | None = None) -> ParsedEvents:
    """The events of one Twilio webhook: a message on `inbound`, a receipt on `status`.

    With `account_sid` (and `number`, the channel's own sender), a post for another account (or a
    message to another number) is left out and counted in `foreign`, never read as this channel's.
    """
    fields = form_fields(body)
    if not addressed_to(fields, endpoint, account_sid=account_sid, number=number):
        return ParsedEvents(foreign=1)
    at = now or datetime.now(UTC)
    if endpoint == "status":
        status = parse_status(fields, at)
        return ParsedEvents(statuses=(status,) if status else ())
    if endpoint == "inbound":
        message = parse_inbound(fields, at)
        return ParsedEvents(messages=(message,) if message else ())
    raise ParseError(f"unknown Twilio endpoint {endpoint!r}")


def addressed_to(fields: dict[str, str], endpoint: str, *, account_sid: str | None, number: str | None) -> bool:
    """True unless the post names another account, or (a message) was sent to another number than ours."""
    if account_sid and fields.get("AccountSid") != account_sid:
        return False
    if number and endpoint == "inbound":
        return _address(fields.get("To", "")) == _address(number)
    return True


def _address(value: str) -> str:
    return value.removeprefix(WHATSAPP_PREFIX).replace(" ", "").strip()


def sender_identities(fields: dict[str, str]) -> tuple[IdentityRef, ...]:
    """The customer's phone (E.164) and, for WhatsApp users known by id, their user id."""
    sender = fields.get("From", "").removeprefix(WHATSAPP_PREFIX).strip()
    identities: list[IdentityRef | None] = []
    if sender and is_whatsapp_user_id(sender):
        identities.append(IdentityRef("whatsapp_user", sender))
    else:
        identities.append(phone_identity(sender) or phone_identity(fields.get("WaId")))
    external = fields.get("ExternalUserId", "").removeprefix(WHATSAPP_PREFIX).strip()  # "whatsapp:HK.…"
    if external:
        identities.append(IdentityRef("whatsapp_user", external))
    return unique(identities)


def parse_inbound(fields: dict[str, str], at: datetime) -> InboundMessage | None:
    """One customer message; None when the sender cannot be addressed."""
    sid = message_sid(fields)
    identities = sender_identities(fields)
    if not identities:
        return None
    kind, text, payload = _content(fields)
    return InboundMessage(
        provider_message_id=sid,
        identities=identities,
        kind=kind,
        sent_at=at,
        text=text,
        payload=payload,
        profile_name=fields.get("ProfileName") or None,
        reply_to_provider_id=fields.get("OriginalRepliedMessageSid") or None,
    )


def parse_status(fields: dict[str, str], at: datetime) -> StatusUpdate | None:
    """A receipt; None for the steps before sending (queued, sending, accepted, ...)."""
    status = RECEIPTS.get(fields.get("MessageStatus") or fields.get("SmsStatus") or "")
    if status is None:
        return None
    code = fields.get("ErrorCode") or None
    failed = status == "failed"
    return StatusUpdate(
        provider_message_id=message_sid(fields),
        status=status,
        at=at,
        error_code=code if failed else None,
        error_reason=reason_for(code, fields.get("ErrorMessage") or None) if failed else None,
    )


def _content(fields: dict[str, str]) -> tuple[MessageKind, str | None, dict[str, Any]]:
    body = fields.get("Body") or None
    media = _media(fields)
    if media:
        return _media_kind(media[0]["content_type"]), body, {"media": media}
    if fields.get("Latitude") and fields.get("Longitude"):
        try:
            latitude, longitude = float(fields["Latitude"]), float(fields["Longitude"])
        except ValueError as exc:
            raise ParseError("Latitude and Longitude must be numbers") from exc
        place = {"latitude": latitude, "longitude": longitude,
                 "name": fields.get("Label") or None, "address": fields.get("Address") or None}
        return "location", body, place
    if fields.get("ButtonPayload") or fields.get("ButtonText"):
        title = fields.get("ButtonText") or None
        button = fields.get("ButtonPayload") or None
        return "button_reply", title or body, {"id": button, "title": title, "payload": button}
    return "text", body, {}


def _media(fields: dict[str, str]) -> list[dict[str, str]]:
    try:
        count = int(fields.get("NumMedia") or 0)
    except ValueError as exc:
        raise ParseError("NumMedia must be a number") from exc
    media = []
    for index in range(count):
        url = fields.get(f"MediaUrl{index}")
        if url:
            media.append({"url": url, "content_type": fields.get(f"MediaContentType{index}", "")})
    return media


def _media_kind(content_type: str) -> MessageKind:
    family = content_type.split("/", 1)[0].lower()
    if family == "image":
        return "image"
    if family == "audio":
        return "audio"
    if family == "video":
        return "video"
    return "document"
