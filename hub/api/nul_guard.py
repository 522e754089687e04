"""Requests carrying a NUL character get a 400 with a sentence, before any route sees them.

PostgreSQL refuses U+0000 in text, so a NUL in a reply, a note, a tag or a search answered 500 and
SQLite stored what PostgreSQL would not. No form a person fills in has a reason to send one, so the
API refuses it at the edge: in the path, the query string, and in JSON and form bodies (escaped or
raw). File uploads (multipart) are left alone: files are bytes. Webhooks never come here (they are
served in front, see `WebhookFastPath`); customer text loses its NULs at ingest instead
(`hub.ingest.clean`), so a customer's message is never refused for one.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

REASON = "the request contains a NUL character (U+0000), which Hub does not store; remove it and try again"
NUL = "\x00"


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return NUL in value
    if isinstance(value, dict):
        return any(_has_nul(key) or _has_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_has_nul(item) for item in value)
    return False


def _form_has_nul(raw: bytes) -> bool:
    return any(NUL in key or NUL in value
               for key, value in parse_qsl(raw.decode("latin-1"), keep_blank_values=True))


def body_has_nul(content_type: str, body: bytes) -> bool:
    """True when a JSON or form body carries a NUL in any string (cheap byte checks first)."""
    if "json" in content_type:
        if b"\x00" in body:
            return True
        if b"\\u0000" not in body:
            return False
        try:
            return _has_nul(json.loads(body))
        except ValueError:  # not JSON after all: the route answers that
            return False
    if "x-www-form-urlencoded" in content_type:
        return (b"\x00" in body or b"%00" in body) and _form_has_nul(body)
    return False


class RefuseNul:
    """ASGI middleware: 400 for an HTTP request whose path, query or JSON/form body holds a NUL."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query: bytes = scope.get("query_string", b"")
        if NUL in scope["path"] or ((b"%00" in query or b"\x00" in query) and _form_has_nul(query)):
            await _refuse(send)
            return
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"").decode("latin-1").lower()
        if "json" not in content_type and "x-www-form-urlencoded" not in content_type:
            await self.app(scope, receive, send)
            return
        messages: list[Message] = []
        body = bytearray()
        while True:
            message = await receive()
            messages.append(message)
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            if not message.get("more_body", False):
                break
        if body_has_nul(content_type, bytes(body)):
            await _refuse(send)
            return

        async def replay() -> Message:
            return messages.pop(0) if messages else await receive()

        await self.app(scope, replay, send)


async def _refuse(send: Send) -> None:
    content = json.dumps({"detail": REASON}).encode()
    await send({"type": "http.response.start", "status": 400,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(content)).encode())]})
    await send({"type": "http.response.body", "body": content})
