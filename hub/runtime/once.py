"""At most one queued job per key: a burst of triggers, or every worker's sweeper, shares one job.

A key is taken with SET NX and an expiry. Two uses:
- coalescing: the job calls `release(key)` as it starts, so triggers after that moment queue the next one;
- a job per period: the key names the period (an hour, a day) and simply expires.
If Redis loses the job, the key expires and the next trigger queues it again; jobs are safe to run twice.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import redis

from hub.runtime import broker

log = logging.getLogger(__name__)


def enqueue_once(queue_name: str, func: Callable[..., Any], *args: Any, key: str, hold_seconds: int,
                 **options: Any) -> bool:
    """Queue `func(*args)` on `queue_name` unless a job under `key` was queued in the last `hold_seconds`.

    True when this call queued it. Never raises for Redis: it logs and returns False, and the database
    keeps the work for the sweeper. A key taken by a call whose enqueue then failed is given back.
    """
    connection = broker.connection()
    try:
        if not connection.set(key, 1, nx=True, ex=hold_seconds):
            return False
    except (redis.RedisError, OSError) as error:
        log.warning("could not queue %s: %s", getattr(func, "__name__", func), error)
        return False
    options.setdefault("retry", broker.retry())
    try:
        broker.queue(queue_name).enqueue(func, *args, **options)
    except (redis.RedisError, OSError) as error:
        log.warning("could not queue %s: %s", getattr(func, "__name__", func), error)
        release(key)
        return False
    return True


def release(key: str) -> None:
    """Let the next `enqueue_once` under `key` queue a job (a coalesced job calls this as it starts)."""
    try:
        broker.connection().delete(key)
    except (redis.RedisError, OSError) as error:
        log.warning("could not release %s: %s", key, error)
