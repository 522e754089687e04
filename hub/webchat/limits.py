"""Per-address rate limits on the widget, counted in Redis so every API process shares them.

Fixed one-minute windows: cheap (one INCR), and a burst at a window's edge is at most twice the
limit, which is fine for keeping one address from flooding the inbox. When Redis cannot be
reached each API process counts on its own (`hub.local_counts`): cutting Redis must not lift the limits.
"""

from __future__ import annotations

import logging
import time

import redis.asyncio as aioredis

from hub.local_counts import COUNTS
from hub.runtime import broker

log = logging.getLogger(__name__)

CONNECTIONS_PER_MINUTE = 30
MESSAGES_PER_MINUTE = 20
FRAMES_PER_MINUTE = 300


def window() -> int:
    """The current one-minute window."""
    return int(time.time() // 60)


async def allow(redis: aioredis.Redis, what: str, address: str, limit: int) -> bool:
    """Count one `what` (connection, message, frame) from `address`; False once past `limit` this minute."""
    key = broker.key("webchat", "rate", what, address, window())
    try:
        pipe = redis.pipeline(transaction=False)
        pipe.incr(key)
        pipe.expire(key, 120)
        count, _ = await pipe.execute()
    except Exception as error:  # count in this process, see the module docstring
        log.warning("web chat rate limit counting in this process, Redis unavailable: %s", error)
        count = COUNTS.incr(key, 120)
    return int(count) <= limit
