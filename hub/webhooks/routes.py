"""Provider webhooks: verify, store the raw body, commit, enqueue, answer. Nothing else here."""

from __future__ import annotations

import logging

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import PlainTextResponse, Response
from starlette.concurrency import run_in_threadpool

from channels import ChannelConfig, VerifyError, WebhookRequest
from channels.types import ParseError
from hub import metrics
from hub.channel_records.service import adapter_of, cached_config, peek_config
from hub.db import session_scope

log = logging.getLogger(__name__)
router = APIRouter(tags=["webhooks"])

MAX_BODY = 1024 * 1024


async def read_body(request: Request) -> bytes:
    """The raw body, refused with 413 past 1 MiB before it is parsed."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > MAX_BODY:
        raise HTTPException(413, "the body is larger than 1 MiB")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise HTTPException(413, "the body is larger than 1 MiB")
        chunks.append(chunk)
    return b"".join(chunks)


async def find_channel(provider: str, channel_id: str) -> ChannelConfig:
    if not channel_id.isdigit():
        raise HTTPException(404, "no such channel")
    fresh, config = peek_config(int(channel_id))
    if not fresh:
        config = await run_in_threadpool(cached_config, session_scope, int(channel_id))
    if config is None or adapter_of(config.kind).provider != provider:
        metrics.WEBHOOK_EVENTS.labels(provider, "unknown_channel").inc()
        raise HTTPException(404, "no such channel")
    return config


def as_webhook_request(request: Request, body: bytes) -> WebhookRequest:
    return WebhookRequest(
        method=request.method, url=str(request.url), body=body,
        headers={name.lower(): value for name, value in request.headers.items()},
        query=dict(request.query_params),
    )


@router.get("/webhooks/{provider}/{channel_id}", response_class=PlainTextResponse)
async def verify_subscription(provider: str, channel_id: str, request: Request) -> PlainTextResponse:
    """The provider's subscription handshake (Meta's hub.challenge)."""
    channel = await find_channel(provider, channel_id)
    answer = adapter_of(channel.kind).challenge(channel, dict(request.query_params))
    if answer is None:
        raise HTTPException(403, "the verify token does not match")
    return PlainTextResponse(answer)


@router.post("/webhooks/{provider}/{channel_id}")
async def receive(provider: str, channel_id: str, request: Request) -> Response:
    return await _receive(provider, channel_id, "", request)


@router.post("/webhooks/{provider}/{channel_id}/{endpoint}")
async def receive_at(provider: str, channel_id: str, endpoint: str, request: Request) -> Response:
    return await _receive(provider, channel_id, endpoint, request)


async def _receive(provider: str, channel_id: str, endpoint: str, request: Request) -> Response:
    channel = await find_channel(provider, channel_id)
    adapter = adapter_of(channel.kind)
    if endpoint not in adapter.endpoints:
        raise HTTPException(404, "no such webhook endpoint")
    body = await read_body(request)
    incoming = as_webhook_request(request, body)
    try:
        adapter.verify(channel, incoming, endpoint)
    except VerifyError as error:
        metrics.WEBHOOK_EVENTS.labels(provider, "bad_signature").inc()
        raise HTTPException(403, f"signature check failed: {error}") from None
    try:
        event_id = adapter.event_id(channel, incoming, endpoint)
    except ParseError as error:
        metrics.WEBHOOK_EVENTS.labels(provider, "malformed").inc()
        raise HTTPException(400, f"malformed body: {error}") from None
    try:
        row_id = await request.app.state.event_store.add(provider, channel.id, endpoint, event_id, body)
    except Exception:
        log.exception("could not store a %s webhook", provider)
        metrics.WEBHOOK_EVENTS.labels(provider, "store_failed").inc()
        raise HTTPException(503, "the event could not be stored; retry later") from None
    metrics.WEBHOOK_EVENTS.labels(provider, "stored" if row_id else "duplicate").inc()
    if row_id:
        await request.app.state.ingest_trigger.fire()
    content, media_type = adapter.ack_body(endpoint)
    return Response(content=content, media_type=media_type)
