"""Provider webhooks: verify, store the raw body, commit, enqueue, answer. Nothing else here.

These are plain Starlette routes served in front of the FastAPI app (see `WebhookFastPath`): the
hot path skips dependency solving and the API's middleware, which costs more than the INSERT.
Every refusal is a JSON `{"detail": reason}` like the rest of the API.
"""

from __future__ import annotations

import asyncio
import logging
from functools import lru_cache
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from channels import ADAPTERS, ChannelConfig, VerifyError, WebhookRequest
from channels.types import ParseError
from hub.channel_records.service import adapter_of, cached_config, peek_config
from hub.runtime import metrics
from hub.runtime.db import session_scope

log = logging.getLogger(__name__)

MAX_BODY = 1024 * 1024


RETRY_AFTER = "5"
"""Seconds a provider is asked to wait after a 503 (the database was unreachable)."""


class Refused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail

    def response(self) -> JSONResponse:
        headers = {"Retry-After": RETRY_AFTER} if self.status == 503 else None
        return JSONResponse({"detail": self.detail}, status_code=self.status, headers=headers)


@lru_cache(maxsize=256)
def count(provider: str, outcome: str) -> Any:
    """The webhook counter for one provider and outcome (looked up once: this is the hot path)."""
    return metrics.WEBHOOK_EVENTS.labels(provider, outcome)


async def read_body(request: Request) -> bytes:
    """The raw body, refused with 413 past 1 MiB before it is parsed."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise Refused(413, "the body is larger than 1 MiB")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise Refused(413, "the body is larger than 1 MiB")
        chunks.append(chunk)
    return b"".join(chunks)


async def find_channel(provider: str, channel_id: str) -> ChannelConfig:
    if not channel_id.isdigit():
        raise Refused(404, "no such channel")
    known, config, stale = peek_config(int(channel_id))
    if not known:
        try:
            config = await run_in_threadpool(cached_config, session_scope, int(channel_id))
        except Exception:
            log.exception("could not look up channel %s", channel_id)
            raise Refused(503, "the database is unreachable; retry later") from None
    elif stale:  # answer from the cache; refresh it in the background (a changed secret applies in ~2 s)
        refresh(int(channel_id))
    if config is None or adapter_of(config.kind).provider != provider:
        count(provider, "unknown_channel").inc()
        raise Refused(404, "no such channel")
    return config


_refreshing: set[int] = set()


def refresh(channel_id: int) -> None:
    if channel_id in _refreshing:
        return
    _refreshing.add(channel_id)

    async def reload() -> None:
        try:
            await run_in_threadpool(cached_config, session_scope, channel_id)
        finally:
            _refreshing.discard(channel_id)

    _tasks.add(task := asyncio.get_running_loop().create_task(reload()))
    task.add_done_callback(_tasks.discard)


_tasks: set[asyncio.Task[None]] = set()


def as_webhook_request(request: Request, body: bytes) -> WebhookRequest:
    scope = request.scope
    headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
    query = scope.get("query_string", b"").decode("latin-1")
    url = f"{scope['scheme']}://{headers.get('host', 'localhost')}{scope['path']}" + (f"?{query}" if query else "")
    return WebhookRequest(method=request.method, url=url, body=body, headers=headers,
                          query=dict(request.query_params) if query else {})


async def verify_subscription(request: Request) -> Response:
    """The provider's subscription handshake (Meta's hub.challenge)."""
    try:
        params = request.path_params
        channel = await find_channel(params["provider"], params["channel_id"])
    except Refused as refused:
        return refused.response()
    answer = adapter_of(channel.kind).challenge(channel, dict(request.query_params))
    if answer is None:
        return JSONResponse({"detail": "the verify token does not match"}, status_code=403)
    return PlainTextResponse(answer)


async def receive(request: Request) -> Response:
    params = request.path_params
    try:
        return await _receive(params["provider"], params["channel_id"], params.get("endpoint", ""), request)
    except Refused as refused:
        return refused.response()


async def _receive(provider: str, channel_id: str, endpoint: str, request: Request) -> Response:
    channel = await find_channel(provider, channel_id)
    adapter = adapter_of(channel.kind)
    if endpoint not in adapter.endpoints:
        raise Refused(404, "no such webhook endpoint")
    body = await read_body(request)
    incoming = as_webhook_request(request, body)
    try:
        adapter.verify(channel, incoming, endpoint)
    except VerifyError as error:
        count(provider, "bad_signature").inc()
        raise Refused(403, f"signature check failed: {error}") from None
    try:
        event_id = adapter.event_id(channel, incoming, endpoint)
    except ParseError as error:
        count(provider, "malformed").inc()
        raise Refused(400, f"malformed body: {error}") from None
    try:
        row_id = await request.app.state.event_store.add(provider, channel.id, endpoint, event_id, body)
    except Exception:
        log.exception("could not store a %s webhook", provider)
        count(provider, "store_failed").inc()
        raise Refused(503, "the event could not be stored; retry later") from None
    count(provider, "stored" if row_id else "duplicate").inc()
    if row_id:
        await request.app.state.ingest_trigger.fire()
    content, media_type = adapter.ack_body(endpoint)
    return Response(content=content, media_type=media_type)


ROUTES = [
    Route("/webhooks/{provider}/{channel_id}", verify_subscription, methods=["GET"]),
    Route("/webhooks/{provider}/{channel_id}", receive, methods=["POST"]),
    Route("/webhooks/{provider}/{channel_id}/{endpoint}", receive, methods=["POST"]),
]


PROVIDERS = frozenset(adapter.provider for adapter in ADAPTERS.values())
"""The channels' providers; other `/webhooks/...` paths (Stripe's, Shopify's) are the API app's routes."""


class WebhookFastPath:
    """Serves `/webhooks/...` from a bare router; everything else goes to the API app."""

    def __init__(self, app: ASGIApp, routes: list[Route] | None = None) -> None:
        self.app = app
        self.router = Router(routes=routes or ROUTES)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith("/webhooks/"):
            for route in self.router.routes:
                match, child = route.matches(scope)
                if match.name == "FULL" and child["path_params"]["provider"] in PROVIDERS:
                    await route.handle({**scope, **child}, receive, send)
                    return
        await self.app(scope, receive, send)
