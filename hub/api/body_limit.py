"""One request body limit for every route, enforced before auth and parsing.

The body is read in the provider's chunks and refused with 413 as soon as it passes the route's limit
(or at once when `Content-Length` says it will), so a 200 MB post costs at most the limit in memory.
What the route then reads is the buffered body, replayed. A body whose brackets nest deeper than
`MAX_JSON_DEPTH` gets 400 before any JSON parser sees it (Python's would raise RecursionError: a 500).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

DEFAULT_LIMIT = 1024 * 1024
MAX_JSON_DEPTH = 64
FORMS = (b"multipart/form-data", b"application/x-www-form-urlencoded")
_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = re.compile(rb"[^\[\]{}]")


def too_deep(body: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """True when JSON arrays and objects in `body` nest deeper than `limit` (brackets in strings do not count)."""
    if body.count(b"[") + body.count(b"{") <= limit:  # the usual body: too few brackets to nest that deep
        return False
    depth = 0
    for byte in _NOT_BRACKET.sub(b"", _STRING.sub(b"", body)):
        depth = depth + 1 if byte in b"[{" else max(depth - 1, 0)
        if depth > limit:
            return True
    return False


class BodyLimit:
    """ASGI middleware: `default` bytes for every HTTP route, `larger[path]` where uploads need more."""

    def __init__(self, app: ASGIApp, default: int = DEFAULT_LIMIT, larger: Mapping[str, int] | None = None) -> None:
        self.app, self.default, self.larger = app, default, dict(larger or {})

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope["path"], self.default)
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            await refuse(send, 413, f"the request body is larger than {describe(limit)}")
            return
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await refuse(send, 413, f"the request body is larger than {describe(limit)}")
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = b"".join(chunks)
        content_type = headers.get(b"content-type", b"").lower()
        if body and not content_type.startswith(FORMS) and too_deep(body):
            await refuse(send, 400, f"the body nests deeper than {MAX_JSON_DEPTH} levels")
            return
        await self.app(scope, replay(body, receive), send)


def replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that gives the buffered body once, then whatever the client sends next (a disconnect)."""
    sent = False

    async def again() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return again


def describe(limit: int) -> str:
    return f"{limit // (1024 * 1024)} MiB" if limit % (1024 * 1024) == 0 else f"{limit} bytes"


async def refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
