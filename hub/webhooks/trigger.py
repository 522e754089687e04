"""Waking the ingest worker from the webhook hot path, cheaply.

Every stored event is followed, within `COALESCE_SECONDS`, by one `schedule_drain` (a SET NX on
Redis, in a thread): a burst of webhooks shares one round trip. The first of a quiet period enqueues
the drain job; the drain releases the flag when it starts, so events stored after that schedule the next.
"""

from __future__ import annotations

import asyncio
import logging

from starlette.concurrency import run_in_threadpool

from hub.jobs.tasks import schedule_drain

log = logging.getLogger(__name__)

COALESCE_SECONDS = 0.02


class IngestTrigger:
    def __init__(self) -> None:
        self._pending: asyncio.Task[None] | None = None

    async def fire(self) -> None:
        """Make sure a drain runs after this moment (at most COALESCE_SECONDS later)."""
        if self._pending is None or self._pending.done():
            self._pending = asyncio.create_task(self._fire_soon())

    async def _fire_soon(self) -> None:
        await asyncio.sleep(COALESCE_SECONDS)
        self._pending = None  # events stored from now on need a new round trip
        await run_in_threadpool(schedule_drain)  # never raises: the event is stored, the inbox's sweep finds it

    async def close(self) -> None:
        if self._pending is not None:
            await self._pending
