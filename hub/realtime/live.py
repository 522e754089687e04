"""Live inbox updates: one Redis subscription per API process, fanned out to the agents connected to it.

Every committed domain event arrives on `broker.events_channel()` as `{"event": name, "data": {...}}`.
Each is passed on only to the connected users who may see its conversation (or contact). Pub/sub
keeps nothing: when the subscription breaks, every client is told to `resync`, and catches up
from the database (see `catch_up`).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis

from hub.agents.tokens import SESSIONS_ENDED
from hub.realtime.access import Visibility
from hub.runtime import broker

log = logging.getLogger(__name__)

QUEUE_SIZE = 200
Frame = dict[str, Any]
RESYNC: Frame = {"type": "resync"}
ENDED: Frame = {"type": "session_ended"}
"""Put on a client's queue when its session was revoked: the socket closes with 4401."""


@dataclass(eq=False)
class Client:
    """One open socket; `queue` gets frames, or None when the socket should close (it fell behind)."""

    user_id: int
    session_id: int | None = None
    queue: asyncio.Queue[Frame | None] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))

    def offer(self, frame: Frame) -> None:
        try:
            self.queue.put_nowait(frame)
        except asyncio.QueueFull:  # a stuck socket: close it; the client reconnects and catches up
            self.close()

    def close(self) -> None:
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(None)

    def end(self) -> None:
        """The session was revoked (sign-out, deactivation, a new password): nothing more is sent."""
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(ENDED)


def target_of(data: dict[str, Any]) -> dict[str, int]:
    """What an event is about, for the access check: its conversation, else its contact."""
    for name in ("conversation_id", "contact_id"):
        value = data.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return {name: value}
    return {}


class LiveHub:
    def __init__(self, connect: Callable[[], aioredis.Redis]) -> None:
        self._connect = connect  # a new client (broker.async_client): each reconnection asks Sentinel again
        self._clients: set[Client] = set()
        self._reader: asyncio.Task[None] | None = None
        self._visibility = Visibility()
        self._ready = asyncio.Event()

    @property
    def clients(self) -> int:
        return len(self._clients)

    async def join(self, user_id: int, session_id: int | None = None) -> Client:
        """A new client; the subscription is started (and confirmed) before this returns."""
        client = Client(user_id, session_id)
        self._clients.add(client)
        if self._reader is None or self._reader.done():
            self._ready.clear()
            self._reader = asyncio.create_task(self._read(), name="inbox-live")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._ready.wait(), 3.0)
        return client

    def leave(self, client: Client) -> None:
        self._clients.discard(client)

    async def _read(self) -> None:
        pause = 0.5
        while True:
            connection = self._connect()
            pubsub = connection.pubsub()
            try:
                await pubsub.subscribe(broker.events_channel())
                while True:
                    message = await pubsub.get_message(timeout=1.0)
                    pause = 0.5
                    if message is None:
                        continue
                    if message.get("type") == "subscribe":
                        self._ready.set()
                    elif message.get("type") == "message":
                        await self._dispatch(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as error:
                log.warning("inbox live subscription lost: %s; reconnecting", error)
                for client in list(self._clients):
                    client.offer(RESYNC)
                await asyncio.sleep(pause)
                pause = min(pause * 2, 10.0)
            finally:
                with contextlib.suppress(Exception):
                    await pubsub.aclose()  # type: ignore[no-untyped-call, unused-ignore]  # typed from redis-py 8
                with contextlib.suppress(Exception):
                    await connection.aclose()

    async def _dispatch(self, raw: bytes | str) -> None:
        try:
            event = json.loads(raw)
            name, data = str(event["event"]), dict(event.get("data") or {})
        except (ValueError, KeyError, TypeError):
            log.warning("an event on the live channel is not JSON")
            return
        clients = list(self._clients)
        if name == SESSIONS_ENDED:
            self._end_sessions(clients, data)
            return
        target = target_of(data)
        if not clients or not target:
            return
        try:
            allowed = await asyncio.to_thread(self._visibility.allowed, {c.user_id for c in clients},
                                              fresh=name in Visibility.REFRESHING, **target)
        except Exception:
            log.exception("could not check who may see a live event")
            return
        frame = {"type": "event", "event": name, "data": data}
        for client in clients:
            if client.user_id in allowed:
                client.offer(frame)

    @staticmethod
    def _end_sessions(clients: list[Client], data: dict[str, Any]) -> None:
        user_id, session_id = data.get("user_id"), data.get("session_id")
        for client in clients:
            if client.user_id == user_id and session_id in (None, client.session_id):
                client.end()

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader
        for client in list(self._clients):
            client.close()
