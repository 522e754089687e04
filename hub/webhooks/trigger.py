"""Waking the ingest worker from the webhook hot path, cheaply.

Every stored event is followed, within `COALESCE_SECONDS`, by one SET NX on Redis: a burst of
webhooks shares one round trip. The first SET of a quiet period enqueues the drain job; the drain
deletes the flag when it starts, so events stored after that schedule the next drain.
"""

from __future__ import annotations

import asyncio
import logging

import redis.asyncio as aioredis
from starlette.concurrency import run_in_threadpool

from hub import broker

log = logging.getLogger(__name__)

COALESCE_SECONDS = 0.02


class IngestTrigger:
    def __init__(self, url: str) -> None:
        self._redis = aioredis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._flag = broker.key("ingest", "scheduled")
        self._pending: asyncio.Task[None] | None = None

    async def fire(self) -> None:
        """Make sure a drain runs after this moment (at most COALESCE_SECONDS later)."""
        if self._pending is None or self._pending.done():
            self._pending = asyncio.create_task(self._fire_soon())

    async def _fire_soon(self) -> None:
        await asyncio.sleep(COALESCE_SECONDS)
        self._pending = None  # events stored from now on need a new round trip
        try:
            if await self._redis.set(self._flag, 1, nx=True, ex=30):
                await run_in_threadpool(_enqueue_drain)
        except Exception as error:  # the event is stored: the sweeper will find it
            log.warning("could not schedule ingest: %s", error)

    async def close(self) -> None:
        if self._pending is not None:
            await self._pending
        await self._redis.aclose()


def _enqueue_drain() -> None:
    from hub.jobs.tasks import drain_inbound

    broker.queue("inbound").enqueue(drain_inbound, job_timeout=600, retry=broker.retry())
