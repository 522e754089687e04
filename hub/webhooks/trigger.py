"""Waking the ingest worker from the webhook hot path without a thread hop.

One SET NX on an async Redis client per stored event: the first event of a burst enqueues the
drain job, the rest find the flag set. The drain deletes the flag when it starts, so an event
stored after that schedules the next drain.
"""

from __future__ import annotations

import logging

import redis.asyncio as aioredis
from starlette.concurrency import run_in_threadpool

from hub import broker

log = logging.getLogger(__name__)


class IngestTrigger:
    def __init__(self, url: str) -> None:
        self._redis = aioredis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._flag = broker.key("ingest", "scheduled")

    async def fire(self) -> None:
        try:
            if await self._redis.set(self._flag, 1, nx=True, ex=30):
                await run_in_threadpool(_enqueue_drain)
        except Exception as error:  # the event is stored: the sweeper will find it
            log.warning("could not schedule ingest: %s", error)

    async def close(self) -> None:
        await self._redis.aclose()


def _enqueue_drain() -> None:
    from hub.jobs.tasks import drain_inbound

    broker.queue("inbound").enqueue(drain_inbound, job_timeout=600)
