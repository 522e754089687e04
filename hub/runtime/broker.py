"""Redis: the job queues, the pub/sub channel for live events, and the embedded fallback."""

from __future__ import annotations

import inspect
import logging
import subprocess
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import Any
from urllib.parse import unquote, urlsplit

import redis
import redis.asyncio as aioredis
from redis.asyncio.sentinel import Sentinel as AsyncSentinel
from redis.sentinel import Sentinel
from rq import Queue, Retry

from hub.runtime import embedded, events, queues
from hub.runtime.settings import get_settings

log = logging.getLogger(__name__)

QUEUES = queues.ALL
_owned: list[subprocess.Popen[bytes]] = []


def redis_url() -> str:
    """HUB_REDIS_URL, or the embedded server of this installation (started if needed)."""
    settings = get_settings()
    if settings.redis_url:
        return settings.redis_url
    url = embedded.running_url(settings.var_dir)
    if url is None:
        url, process = embedded.start(settings.var_dir)
        _owned.append(process)
        log.info("started the embedded Redis-compatible server at %s", url)
    return url


TIMEOUTS: dict[str, Any] = {"socket_timeout": 5, "socket_connect_timeout": 2, "health_check_interval": 30}


def sentinels() -> list[tuple[str, int]]:
    """HUB_REDIS_SENTINELS as (host, port) pairs; empty: Redis is HUB_REDIS_URL itself."""
    pairs = [item.strip().rpartition(":") for item in get_settings().redis_sentinels.split(",") if item.strip()]
    return [(host, int(port)) for host, _, port in pairs]


def _master_options() -> dict[str, Any]:
    """With Sentinels: the database number and password of HUB_REDIS_URL (its host is the Sentinels' to say)."""
    url = get_settings().redis_url
    if not url:
        return {}
    parts = urlsplit(url)
    options: dict[str, Any] = {"db": int(parts.path.strip("/") or 0)}
    if parts.username:
        options["username"] = unquote(parts.username)
    if parts.password:
        options["password"] = unquote(parts.password)
    return options


@lru_cache(maxsize=1)
def connection() -> redis.Redis:
    """Jobs, throttles, leases and publishing. Behind Sentinels, a client of the current master that asks
    them again after a failover (a command in flight then fails once, as when Redis restarts)."""
    if sentinels():
        client: redis.Redis = Sentinel(sentinels(), socket_timeout=2, socket_connect_timeout=2).master_for(
            get_settings().redis_master, **TIMEOUTS, **_master_options())
        return client
    return redis.Redis.from_url(redis_url(), **TIMEOUTS)


def async_client() -> aioredis.Redis:
    """A new asyncio client (the live inbox's and the web chat's subscriptions), Sentinel-aware alike."""
    if sentinels():
        client: aioredis.Redis = AsyncSentinel(sentinels(), socket_timeout=2, socket_connect_timeout=2).master_for(
            get_settings().redis_master, **TIMEOUTS, **_master_options())
        return client
    return aioredis.Redis.from_url(redis_url(), **TIMEOUTS)


def reset() -> None:
    connection.cache_clear()


def stop_owned() -> None:
    """Stop the embedded server if this process started it."""
    while _owned:
        process = _owned.pop()
        process.terminate()


def key(*parts: object) -> str:
    """A Redis key under this installation's prefix."""
    return ":".join([get_settings().redis_prefix, *(str(part) for part in parts)])


def queue(name: str) -> Queue:
    return Queue(name, connection=connection(), default_timeout=300)


def channel(*parts: object) -> str:
    """A pub/sub channel of this installation. Channels, unlike keys, belong to no Redis database: a PUBLISH
    reaches every subscriber of the server whatever database it selected. The database number is in the name,
    so that installations sharing a server (each in its own database, with the default prefix) never hear each
    other's events: ids are the same numbers in each, and an agent of one would be shown the other's messages."""
    return key(f"db{database()}", *parts)


def database() -> int:
    """The Redis database number Hub uses (HUB_REDIS_URL's path, 0 by default)."""
    return int(connection().connection_pool.connection_kwargs.get("db") or 0)


def events_channel() -> str:
    return channel("events")


def publish(batch: list[events.Event]) -> None:
    """Publish one commit's events on the live channel in one round trip."""
    pipe = connection().pipeline(transaction=False)
    channel = events_channel()
    for event in batch:
        pipe.publish(channel, event.to_json())
    pipe.execute()


def ping() -> bool:
    try:
        return bool(connection().ping())
    except (redis.RedisError, OSError, RuntimeError):
        return False


def queue_depths() -> dict[str, int]:
    return {name: queue(name).count for name in QUEUES}


RETRY_INTERVALS = [1, 5, 15, 60, 300]


def retry() -> Retry:
    """Transient failures (the database restarting, a deadlock) are retried with backoff."""
    return Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS)


_OPTIONS = frozenset(inspect.signature(Queue.prepare_data).parameters) - {"func", "args", "kwargs"}
"""What `enqueue` takes besides the job's arguments: RQ's options (retry, job_id, at_front, ...)."""
_held: ContextVar[list[tuple[str, Any]] | None] = ContextVar("hub_held_enqueues", default=None)


def enqueue(queue_name: str, func: Any, *args: Any, **kwargs: Any) -> None:
    """Enqueue, logging instead of raising when Redis is down: the sweeper re-enqueues from the database.
    Inside `enqueues_together`, the job waits for the block's end and goes with the others."""
    kwargs.setdefault("retry", retry())
    held = _held.get()
    if held is not None and kwargs.keys() <= _OPTIONS:
        held.append((queue_name, Queue.prepare_data(func, args, **kwargs)))
        return
    try:
        queue(queue_name).enqueue(func, *args, **kwargs)
    except (redis.RedisError, OSError) as error:
        log.warning("could not enqueue %s: %s", getattr(func, "__name__", func), error)


BATCH = 100
"""At most this many items in one job of `enqueue_each` (a commit of 500 messages still spreads over workers)."""


def enqueue_each(queue_name: str, job: Callable[[list[Any]], object], items: Sequence[Any]) -> None:
    """Queue `job(chunk)` for each chunk of BATCH `items`: a listener's work for a whole commit in a few jobs,
    since RQ's own bookkeeping (dequeue, heartbeats, registries, result) costs ~5 ms of CPU a job."""
    for first in range(0, len(items), BATCH):
        enqueue(queue_name, job, list(items[first:first + BATCH]))


def each(queue_name: str, func: Callable[[Any], object], items: Sequence[Any]) -> str:
    """In a batch job: `func(item)` for each item in order. One that raises is logged and queued as a job of
    its own (with RQ's retries), so the others are not done again; `func` must be a module's function."""
    failed = 0
    for item in items:
        try:
            func(item)
        except Exception:
            failed += 1
            log.exception("%s(%r) failed; queued again on its own", func.__name__, item)
            enqueue(queue_name, func, item)
    return f"{len(items) - failed} done" + (f", {failed} queued again" if failed else "")


@contextmanager
def enqueues_together() -> Iterator[None]:
    """Hold the block's `enqueue`s and send them in one pipeline at its end: a commit's listeners queue a few
    jobs per event (tagging, assignment, media, bots, ...), and a round trip each cost more than the jobs'
    own Redis work. A block inside another joins the outer one. Jobs enqueued before an error still go."""
    if _held.get() is not None:
        yield
        return
    held: list[tuple[str, Any]] = []
    token = _held.set(held)
    try:
        yield
    finally:
        _held.reset(token)
        _send(held)


def _send(held: list[tuple[str, Any]]) -> None:
    if not held:
        return
    by_queue: dict[str, list[Any]] = {}
    for name, data in held:
        by_queue.setdefault(name, []).append(data)
    try:
        with connection().pipeline(transaction=False) as pipe:
            for name, datas in by_queue.items():
                queue(name).enqueue_many(datas, pipeline=pipe)
            pipe.execute()
    except (redis.RedisError, OSError) as error:
        log.warning("could not enqueue %d jobs: %s", len(held), error)
