"""`/widget.js` and the visitor WebSocket `/webchat/{channel_id}/ws`. Thin: the work is in `visitor`."""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

from fastapi import APIRouter, Request, Response, WebSocket
from starlette.concurrency import run_in_threadpool

from channels.webchat import WebChat
from hub.channel_records.service import adapter_of, cached_config
from hub.runtime.db import session_scope
from hub.runtime.settings import get_settings
from hub.webchat import limits, protocol
from hub.webchat.visitor import Connection, Services

router = APIRouter(tags=["webchat"])

WIDGET = Path(__file__).resolve().parent / "static" / "widget.js"
WIDGET_CACHE = "public, max-age=300, stale-while-revalidate=86400"


@lru_cache(maxsize=1)
def _widget() -> tuple[bytes, str]:
    content = WIDGET.read_bytes()
    return content, '"' + hashlib.sha256(content).hexdigest()[:32] + '"'


@router.api_route("/widget.js", methods=["GET", "HEAD"], include_in_schema=False)
def widget(request: Request) -> Response:
    """The embeddable chat bubble: `<script src=".../widget.js" data-channel="5" async></script>`."""
    content, etag = _widget()
    headers = {"Cache-Control": WIDGET_CACHE, "ETag": etag, "X-Content-Type-Options": "nosniff",
               "Cross-Origin-Resource-Policy": "cross-origin"}
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(content, media_type="application/javascript; charset=utf-8", headers=headers)


DEMO_SHOP = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Demo shop</title><link rel="stylesheet" href="/sandbox/static/phone.css"></head>
<body><main><h1>Demo shop</h1><p>A page of the shop with Hub's chat bubble: open it in the corner and write as a
visitor. Your messages arrive in the inbox; the agents' replies come back here.</p></main>
<script src="/widget.js" data-channel="{channel_id}" async></script></body></html>"""


@router.get("/webchat/{channel_id}/demo", include_in_schema=False)
async def demo_shop(channel_id: int) -> Response:
    """A shop page with the widget on it, served from Hub's own origin (development only)."""
    config = await run_in_threadpool(cached_config, session_scope, channel_id)
    if config is None or not isinstance(adapter_of(config.kind), WebChat) or not get_settings().sandbox_allowed:
        return Response("no such web chat channel", status_code=404, media_type="text/plain")
    csp = "default-src 'self'; script-src 'self'; style-src 'self'; connect-src 'self' ws: wss:"
    return Response(DEMO_SHOP.replace("{channel_id}", str(channel_id)), media_type="text/html; charset=utf-8",
                    headers={"Content-Security-Policy": csp})


@router.websocket("/webchat/{channel_id}/ws")
async def webchat_socket(websocket: WebSocket, channel_id: str) -> None:
    """A visitor's widget. Refusals close after the handshake so the widget can read the code."""
    await websocket.accept()
    config = await run_in_threadpool(cached_config, session_scope, int(channel_id)) if channel_id.isdigit() else None
    adapter = adapter_of(config.kind) if config is not None else None
    if config is None or not isinstance(adapter, WebChat):
        await websocket.close(4404, "no such web chat channel")
        return
    if not adapter.origin_allowed(config, websocket.headers.get("origin")):
        await websocket.close(4403, "this page's origin may not open the widget")
        return
    state = websocket.app.state
    services = Services(fanout=state.webchat, store=state.event_store, trigger=state.ingest_trigger)
    address = websocket.client.host if websocket.client else "unknown"
    if not await limits.allow(services.fanout.redis, "connection", address, limits.CONNECTIONS_PER_MINUTE):
        await websocket.send_json(protocol.error_frame("rate_limited", "too many connections; wait a minute"))
        await websocket.close(4429, "rate limited")
        return
    await Connection(websocket, config, adapter, address, services).serve()
