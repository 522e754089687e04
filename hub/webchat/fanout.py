"""Replies on their way to the visitor's WebSocket, through Redis pub/sub.

Whichever process sends a reply (an RQ worker) publishes the adapter's frame on the Redis
channel of that visitor's session; every API process holds one subscription connection and
hands each frame to the WebSockets of that session it has open (one visitor may have tabs on
several processes). Pub/sub keeps nothing: a visitor who is away gets the reply from the
catch-up on their next hello.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import AsyncIterator, Callable
from typing import Any

import anyio
import redis.asyncio as aioredis

from channels.webchat import transport
from hub.runtime import broker

log = logging.getLogger(__name__)

QUEUE_SIZE = 100
CONFIRM_SECONDS = 2.0
LOST = None
"""Put on every queue when the subscription broke: listeners close so that widgets reconnect and catch up."""

Frame = dict[str, Any]


def key_for(channel_id: int, identity: str) -> str:
    """The Redis pub/sub channel of one web chat session."""
    return broker.channel("webchat", channel_id, identity)


def publish_now(channel_id: int, identity: str, frame: Frame) -> None:
    """Publish a frame to one session's widget (raises when Redis is down)."""
    broker.connection().publish(key_for(channel_id, identity), json.dumps(frame, ensure_ascii=False))


async def publish(channel_id: int, identity: str, frame: Frame) -> None:
    """The web chat transport's publisher (see channels.webchat.transport); raises when Redis is down."""
    await asyncio.to_thread(publish_now, channel_id, identity, frame)


def install_publisher() -> None:
    """Let the web chat adapter send through Redis in this process (a hook in `hub.webchat.module`)."""
    transport.set_publisher(publish)


class Fanout:
    """One Redis subscription per process, shared by all of its open widgets."""

    def __init__(self, connect: Callable[[], aioredis.Redis]) -> None:
        self._redis = connect()  # broker.async_client: a Sentinel master client follows a failover
        self._pubsub = self._redis.pubsub()
        self._queues: dict[str, set[asyncio.Queue[Frame | None]]] = {}
        self._confirmed: dict[str, asyncio.Event] = {}
        self._lock = asyncio.Lock()
        self._reader: asyncio.Task[None] | None = None

    @property
    def redis(self) -> aioredis.Redis:
        """The async client, for the rate limits."""
        return self._redis

    @contextlib.asynccontextmanager
    async def listen(self, key: str) -> AsyncIterator[asyncio.Queue[Frame | None]]:
        """Frames published on `key` from the moment this returns (the subscription is confirmed)."""
        queue: asyncio.Queue[Frame | None] = asyncio.Queue(QUEUE_SIZE)
        async with self._lock:
            if self._reader is None:
                # Never let the subscription count reach zero: an idle pub/sub connection runs redis-py's
                # health check, which would read replies concurrently with the reader task.
                await self._pubsub.subscribe(broker.channel("webchat", "anchor"))
            listeners = self._queues.setdefault(key, set())
            listeners.add(queue)
            if len(listeners) == 1:
                self._confirmed[key] = asyncio.Event()
                try:
                    await self._pubsub.subscribe(key)
                except BaseException:  # Redis is down: leave no listener that later ones would trust
                    self._queues.pop(key, None)
                    self._confirmed.pop(key, None)
                    raise
            if self._reader is None or self._reader.done():
                self._reader = asyncio.create_task(self._read(), name="webchat-fanout")
        confirmed = self._confirmed.get(key)
        if confirmed is not None:
            try:
                await asyncio.wait_for(confirmed.wait(), CONFIRM_SECONDS)
            except TimeoutError:
                log.warning("the web chat subscription was not confirmed in %.0f s", CONFIRM_SECONDS)
        try:
            yield queue
        finally:
            await self._leave(key, queue)

    async def _leave(self, key: str, queue: asyncio.Queue[Frame | None]) -> None:
        with anyio.move_on_after(5, shield=True):  # a cancelled connection still unsubscribes
            await self._forget(key, queue)

    async def _forget(self, key: str, queue: asyncio.Queue[Frame | None]) -> None:
        async with self._lock:
            listeners = self._queues.get(key, set())
            listeners.discard(queue)
            if listeners:
                return
            self._queues.pop(key, None)
            self._confirmed.pop(key, None)
            try:
                await self._pubsub.unsubscribe(key)
            except Exception as error:
                log.warning("could not unsubscribe a web chat session: %s", error)

    async def _read(self) -> None:
        pause = 0.5
        while True:
            try:
                message = await self._pubsub.get_message(timeout=1.0)
                pause = 0.5
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("web chat subscription lost: %s; reconnecting", error)
                self._broadcast_lost()
                await asyncio.sleep(pause)
                pause = min(pause * 2, 10.0)
                continue
            if message is not None:
                self._dispatch(message)

    def _dispatch(self, message: dict[str, Any]) -> None:
        channel = message.get("channel")
        key = channel.decode() if isinstance(channel, bytes) else str(channel)
        if message.get("type") == "subscribe":
            event = self._confirmed.get(key)
            if event is not None:
                event.set()
            return
        if message.get("type") != "message":
            return
        try:
            frame = json.loads(message["data"])
        except ValueError:
            log.warning("a web chat frame on %s is not JSON", key)
            return
        for queue in list(self._queues.get(key, ())):
            try:
                queue.put_nowait(frame)
            except asyncio.QueueFull:  # a stuck socket: close it, the widget catches up when it reconnects
                _replace_with_lost(queue)

    def _broadcast_lost(self) -> None:
        for listeners in self._queues.values():
            for queue in listeners:
                _replace_with_lost(queue)

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        with contextlib.suppress(Exception):
            await self._pubsub.aclose()  # type: ignore[no-untyped-call, unused-ignore]  # typed from redis-py 8
        with contextlib.suppress(Exception):
            await self._redis.aclose()


def _replace_with_lost(queue: asyncio.Queue[Frame | None]) -> None:
    while not queue.empty():
        queue.get_nowait()
    queue.put_nowait(LOST)
