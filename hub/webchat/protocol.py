"""The frames a widget sends, checked before anything is done with them (see PROTOCOL.md)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal

from channels.webchat import TEXT_LIMIT

MAX_FRAME_CHARS = 16 * 1024
MAX_TOKEN = 1000
NAME_LIMIT = 200
CLIENT_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
LOCALE = re.compile(r"^[A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8}){0,3}$")
# Control characters other than tab and newlines: PostgreSQL refuses NUL, and none belongs in a chat message.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

Json = dict[str, Any]


class FrameError(ValueError):
    """A frame Hub will not act on; `code` and the sentence go back to the widget in an error frame."""

    def __init__(self, code: str, message: str, client_id: str | None = None) -> None:
        super().__init__(message)
        self.code, self.client_id = code, client_id

    def frame(self) -> Json:
        return error_frame(self.code, str(self), self.client_id)


def error_frame(code: str, message: str, client_id: str | None = None) -> Json:
    frame: Json = {"type": "error", "code": code, "message": message}
    if client_id:
        frame["client_id"] = client_id
    return frame


@dataclass(frozen=True)
class Claim:
    """Who the page says the visitor is; believed only with the shop's signature."""

    user_id: object
    name: str | None
    signature: object


@dataclass(frozen=True)
class Hello:
    session_token: str | None
    claim: Claim | None
    last_id: int | None
    locale: str | None


@dataclass(frozen=True)
class Say:
    """A visitor's message, or a press of a reply button."""

    client_id: str
    frame_type: Literal["message", "button"]
    text: str
    button_id: str | None = None


@dataclass(frozen=True)
class Receipt:
    message_id: int
    status: Literal["delivered", "read"]


@dataclass(frozen=True)
class Ping:
    pass


@dataclass(frozen=True)
class Typing:
    """The visitor is writing a message (the widget says so at most every few seconds)."""


ClientFrame = Hello | Say | Receipt | Ping | Typing


def read(raw: str | None) -> ClientFrame:
    """The frame in one WebSocket text message; FrameError with a reason when it is not one."""
    if raw is None:
        raise FrameError("bad_frame", "frames are JSON text messages")
    if len(raw) > MAX_FRAME_CHARS:
        raise FrameError("too_large", f"a frame may be at most {MAX_FRAME_CHARS} characters")
    try:
        frame = json.loads(raw)
    except ValueError:
        raise FrameError("bad_frame", "the frame is not JSON") from None
    if not isinstance(frame, dict):
        raise FrameError("bad_frame", "the frame is not a JSON object")
    kind = frame.get("type")
    if kind == "hello":
        return _hello(frame)
    if kind in ("message", "button"):
        return _say(frame)
    if kind == "receipt":
        return _receipt(frame)
    if kind == "ping":
        return Ping()
    if kind == "typing":
        return Typing()
    raise FrameError("unknown_type", "type must be hello, message, button, receipt, typing or ping")


def _optional_str(frame: Json, key: str, limit: int) -> str | None:
    value = frame.get(key)
    return value[:limit] if isinstance(value, str) and value.strip() else None


def _hello(frame: Json) -> Hello:
    token = frame.get("session_token")
    last_id = frame.get("last_id")
    if last_id is not None and (not isinstance(last_id, int) or isinstance(last_id, bool) or last_id < 0):
        raise FrameError("bad_frame", "last_id must be a message id or null")
    identity = frame.get("identity")
    claim = None
    if isinstance(identity, dict) and identity.get("user_id") is not None:
        name = _optional_str(identity, "name", NAME_LIMIT)
        claim = Claim(user_id=identity.get("user_id"), name=clean_text(name) if name else None,
                      signature=identity.get("signature"))
    locale = frame.get("locale")
    return Hello(
        session_token=token if isinstance(token, str) and 0 < len(token) <= MAX_TOKEN else None,
        claim=claim,
        last_id=last_id,
        locale=locale if isinstance(locale, str) and len(locale) <= 20 and LOCALE.match(locale) else None,
    )


def clean_text(text: str) -> str:
    """The text without control characters (tabs and newlines stay)."""
    return _CONTROL.sub("", text)


def _say(frame: Json) -> Say:
    client_id = frame.get("client_id")
    if not isinstance(client_id, str) or not CLIENT_ID.match(client_id):
        raise FrameError("bad_frame", "client_id must be 8 to 64 letters, digits, - or _ (a UUID will do)")
    raw_text = frame.get("text")
    text = clean_text(raw_text) if isinstance(raw_text, str) else ""
    if len(text) > TEXT_LIMIT:
        raise FrameError("too_long", f"a message may be at most {TEXT_LIMIT} characters", client_id)
    if frame["type"] == "button":
        button_id = frame.get("button_id")
        if not isinstance(button_id, str) or not 0 < len(button_id) <= 256:
            raise FrameError("bad_frame", "a button frame needs the button_id of the button pressed", client_id)
        return Say(client_id, "button", text.strip() or button_id, clean_text(button_id))
    if not text.strip():
        raise FrameError("empty", "a message needs some text", client_id)
    return Say(client_id, "message", text)


def _receipt(frame: Json) -> Receipt:
    message_id, status = frame.get("id"), frame.get("status")
    if not isinstance(message_id, int) or isinstance(message_id, bool) or message_id <= 0:
        raise FrameError("bad_frame", "a receipt needs the id of a message")
    if status not in ("delivered", "read"):
        raise FrameError("bad_frame", "a receipt's status is delivered or read")
    return Receipt(message_id, status)
