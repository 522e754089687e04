"""A stand-in for Hub's webhook routes that keeps what arrives: receipts and customer messages.

Tests add its router to the sandbox app (`app.include_router(inbox.router())`) and give their
channels that server as `public_url`, then check each request with the adapter's own `verify`.
"""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass

from fastapi import APIRouter, Request, Response

from channels.types import WebhookRequest


@dataclass(frozen=True)
class ReceivedWebhook:
    """One webhook as Hub would see it: the path's provider, channel and endpoint, and the request."""

    provider: str
    channel_id: int
    endpoint: str
    request: WebhookRequest


class WebhookInbox:
    """Records every POST to `/webhooks/{provider}/{channel_id}[/{endpoint}]` and answers `status`."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self._lock = threading.Lock()
        self._received: list[ReceivedWebhook] = []

    def router(self) -> APIRouter:
        router = APIRouter(include_in_schema=False)

        async def receive(provider: str, channel_id: int, request: Request, endpoint: str = "") -> Response:
            webhook = WebhookRequest(
                method=request.method,
                url=str(request.url),
                headers={name.lower(): value for name, value in request.headers.items()},
                body=await request.body(),
                query=dict(request.query_params),
            )
            with self._lock:
                self._received.append(ReceivedWebhook(provider, channel_id, endpoint, webhook))
            return Response(b'{"ok":true}', status_code=self.status, media_type="application/json")

        router.add_api_route("/webhooks/{provider}/{channel_id}", receive, methods=["POST"])
        router.add_api_route("/webhooks/{provider}/{channel_id}/{endpoint}", receive, methods=["POST"])
        return router

    def received(self, provider: str | None = None, channel_id: int | None = None,
                 endpoint: str | None = None) -> list[ReceivedWebhook]:
        """What arrived so far, oldest first, optionally filtered."""
        with self._lock:
            items = list(self._received)
        return [
            item for item in items
            if (provider is None or item.provider == provider)
            and (channel_id is None or item.channel_id == channel_id)
            and (endpoint is None or item.endpoint == endpoint)
        ]

    async def wait_for(self, count: int, *, timeout: float = 5.0, provider: str | None = None,
                       channel_id: int | None = None, endpoint: str | None = None) -> list[ReceivedWebhook]:
        """At least `count` matching webhooks; TimeoutError when they do not come in time."""
        deadline = time.monotonic() + timeout
        while True:
            items = self.received(provider, channel_id, endpoint)
            if len(items) >= count:
                return items
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(items)} of {count} webhooks arrived in {timeout} s")
            await asyncio.sleep(0.02)

    def clear(self) -> None:
        with self._lock:
            self._received.clear()
