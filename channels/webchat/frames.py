"""The web chat's stored frames: what Hub's WebSocket stores for each visitor message, and parsing it.

The WebSocket route builds the frame from what it knows on the server (the session's identity,
whether the shop vouched for it, the visitor's name); only `client_id`, `text` and `button_id`
come from the browser. The frame is stored as a raw webhook event and parsed by `parse_frame`.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any, Literal

from channels.types import IdentityRef, InboundMessage, ParsedEvents, ParseError
from channels.webchat.identity import belongs_to, is_user

TEXT_LIMIT = 4000
"""Characters in one visitor message (CJK characters count one each)."""
NAME_LIMIT = 200
VERIFIED_KEY = "identity_verified"
"""Set to True in an inbound payload when the shop proved the visitor's identity."""

FrameType = Literal["message", "button"]


def stored_frame(*, session: str, verified: bool, client_id: str, frame_type: FrameType, text: str | None,
                 sent_at: datetime, button_id: str | None = None, name: str | None = None,
                 locale: str | None = None) -> bytes:
    """The JSON body stored for one visitor message."""
    return json.dumps({
        "session": session, "verified": verified, "client_id": client_id, "type": frame_type, "text": text,
        "button_id": button_id, "name": name, "locale": locale, "sent_at": sent_at.isoformat(),
    }, ensure_ascii=False).encode()


def load_frame(body: bytes) -> dict[str, Any]:
    """The stored frame as a dict; ParseError when it is not a JSON object with a `client_id`."""
    try:
        frame = json.loads(body)
    except (ValueError, UnicodeDecodeError) as error:
        raise ParseError(f"not JSON: {error}") from None
    if not isinstance(frame, dict):
        raise ParseError("the frame is not a JSON object")
    client_id = frame.get("client_id")
    if not isinstance(client_id, str) or not 0 < len(client_id) <= 100:
        raise ParseError("the frame has no client_id")
    return frame


def _text(value: object, limit: int) -> str | None:
    return value[:limit] if isinstance(value, str) and value.strip() else None


def parse_frame(channel_id: int, body: bytes) -> ParsedEvents:
    """One stored frame as one InboundMessage. Pure; raises ParseError."""
    frame = load_frame(body)
    session = frame.get("session")
    if not isinstance(session, str) or not belongs_to(channel_id, session):
        raise ParseError("the frame's session does not belong to this channel")
    frame_type = frame.get("type")
    text = _text(frame.get("text"), TEXT_LIMIT)
    payload: dict[str, Any] = {}
    if frame_type == "button":
        button_id = frame.get("button_id")
        if not isinstance(button_id, str) or not button_id:
            raise ParseError("a button frame needs a button_id")
        text = text or button_id
        payload.update({"id": button_id, "title": text, "payload": button_id})
    elif frame_type != "message" or text is None:
        raise ParseError("the frame is neither a text message nor a button press")
    try:
        sent_at = datetime.fromisoformat(str(frame.get("sent_at")))
    except ValueError:
        raise ParseError("the frame has no valid sent_at") from None
    # Only an identity the route derived from the shop's signature may be marked as verified.
    if frame.get("verified") is True and is_user(channel_id, session):
        payload[VERIFIED_KEY] = True
    locale = frame.get("locale")
    return ParsedEvents(messages=(InboundMessage(
        provider_message_id=frame["client_id"],
        identities=(IdentityRef("webchat", session),),
        kind="button_reply" if frame_type == "button" else "text",
        sent_at=sent_at,
        text=text,
        payload=payload,
        profile_name=_text(frame.get("name"), NAME_LIMIT),
        locale=locale if isinstance(locale, str) and 0 < len(locale) <= 20 else None,
    ),))
