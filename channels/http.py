"""One pooled HTTP session for many sends in a row (a broadcast's chunk), instead of one per message.

Outside `pooled()` every send opens and closes its own session, as a single reply should: nothing
outlives its event loop. Inside it, Meta's Graph calls share keep-alive connections.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar

import aiohttp

_session: ContextVar[aiohttp.ClientSession | None] = ContextVar("hub_channels_http_session", default=None)


@asynccontextmanager
async def pooled(connections: int = 64, timeout_seconds: float = 10.0) -> AsyncIterator[aiohttp.ClientSession]:
    """Share one session (at most `connections` at once) with every send made inside the block."""
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector,
                                     timeout=aiohttp.ClientTimeout(total=timeout_seconds)) as session:
        token = _session.set(session)
        try:
            yield session
        finally:
            _session.reset(token)


def shared() -> aiohttp.ClientSession | None:
    """The pooled session of the current block, if any."""
    return _session.get()
