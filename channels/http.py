"""One pooled HTTP session for many sends in a row (a broadcast's chunk), instead of one per message.

Outside `pooled()` every send opens and closes its own session, as a single reply should: nothing
outlives its event loop. Inside it, Meta's Graph calls share keep-alive connections. The session is
guarded (`channels.netguard`): it connects to public addresses only, unless `allow_private`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from contextvars import ContextVar

import aiohttp

from channels.netguard import guarded_session

_session: ContextVar[tuple[aiohttp.ClientSession, bool] | None] = ContextVar("hub_channels_http_session",
                                                                             default=None)


@asynccontextmanager
async def pooled(connections: int = 64, timeout_seconds: float = 10.0, *,
                 allow_private: bool = False) -> AsyncIterator[aiohttp.ClientSession]:
    """Share one session (at most `connections` at once) with every send made inside the block."""
    async with guarded_session(allow_private=allow_private, connections=connections,
                               timeout=aiohttp.ClientTimeout(total=timeout_seconds)) as session:
        token = _session.set((session, allow_private))
        try:
            yield session
        finally:
            _session.reset(token)


def shared(allow_private: bool = False) -> aiohttp.ClientSession | None:
    """The pooled session of the current block, if any and if it was opened with the same address policy."""
    current = _session.get()
    if current is None or current[1] != allow_private:
        return None
    return current[0]
