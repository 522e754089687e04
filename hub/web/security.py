"""Browser-facing protections as plain ASGI middleware: security headers and CSRF checks.

CSRF: a request that changes state (POST, PUT, PATCH, DELETE) and is authenticated by the session
cookie rather than a bearer token must carry the session's CSRF token, in the `X-CSRF-Token`
header (the inbox's scripts) or a `csrf_token` form field (plain HTML forms). Bearer requests
cannot be forged by another site, so they pass; so do the provider webhooks and the sandbox.
"""

from __future__ import annotations

import json
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.agents.sessions import CSRF_CHECKED, CSRF_FIELD, CSRF_HEADER, UNSAFE_METHODS, csrf_valid
from hub.agents.tokens import session_token_in

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: https:; "
       "connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'self'; form-action 'self'; "
       "object-src 'none'")
DOCS_PATHS = ("/docs", "/redoc")
"""FastAPI's API explorers load their own scripts and styles: they get the headers but not the CSP."""
CSRF_EXEMPT_PREFIXES = ("/webhooks/", "/sandbox/", "/webchat/")
CSRF_EXEMPT_PATHS = frozenset({"/api/v1/auth/token", "/login"})
"""Signing in authenticates with a password, not the cookie (the login form checks its Origin)."""
MAX_FORM_BYTES = 64 * 1024


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"].startswith(DOCS_PATHS)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                wanted = [(b"x-content-type-options", b"nosniff"), (b"referrer-policy", b"same-origin"),
                          (b"x-frame-options", b"DENY")]
                if not docs:
                    wanted.append((b"content-security-policy", CSP.encode()))
                headers += [(name, value) for name, value in wanted if name not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope["headers"]:
        if key.lower() == name:
            return str(value.decode("latin-1"))
    return ""


def session_cookie(scope: Scope) -> str | None:
    """The session cookie, read by the same parser as sign-in (`hub.agents.tokens.session_token_in`)."""
    return session_token_in(_header(scope, b"cookie"))


def needs_csrf(scope: Scope) -> str | None:
    """The session token when this request must prove it comes from Hub's own pages."""
    if scope["type"] != "http" or scope["method"] not in UNSAFE_METHODS:
        return None
    path: str = scope["path"]
    if path in CSRF_EXEMPT_PATHS or path.startswith(CSRF_EXEMPT_PREFIXES):
        return None
    if _header(scope, b"authorization").lower().startswith("bearer "):
        return None
    return session_cookie(scope)


class CsrfProtection:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = needs_csrf(scope)
        if token is None:
            await self.app(scope, receive, send)
            return
        if csrf_valid(token, _header(scope, CSRF_HEADER.encode())):
            await self.app({**scope, CSRF_CHECKED: True}, receive, send)
            return
        if _header(scope, b"content-type").startswith("application/x-www-form-urlencoded"):
            body = await _read(receive)
            if body is not None:
                field = parse_qs(body.decode("utf-8", "replace")).get(CSRF_FIELD, [""])[0]
                if csrf_valid(token, field):
                    await self.app({**scope, CSRF_CHECKED: True}, _replay(body, receive), send)
                    return
        await _refuse(send)


async def _read(receive: Receive) -> bytes | None:
    chunks, size = [], 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return None
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_FORM_BYTES:
            return None
        chunks.append(chunk)
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes, original: Receive) -> Receive:
    """The body read already, then whatever the client sends next (its disconnect)."""
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await original()

    return receive


async def _refuse(send: Send) -> None:
    body = json.dumps({"detail": "this request needs the page's CSRF token: reload the page and try again"}).encode()
    await send({"type": "http.response.start", "status": 403,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
