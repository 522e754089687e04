"""Request id and metrics as plain ASGI middleware (BaseHTTPMiddleware costs a task per request)."""

from __future__ import annotations

import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hub.runtime import logs, metrics


class RequestContext:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")[:64]
        rid = given or uuid.uuid4().hex
        token = logs.request_id.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", rid.encode("latin-1"))]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            logs.request_id.reset(token)
            route = scope.get("route")
            path = getattr(route, "path", "/webhooks" if scope["path"].startswith("/webhooks/") else "unmatched")
            metrics.REQUESTS.labels(scope["method"], path, str(status)).inc()
            metrics.REQUEST_SECONDS.labels(path).observe(time.perf_counter() - started)
