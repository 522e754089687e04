"""One open widget: the hello, then visitor frames in and the shop's replies out (see PROTOCOL.md)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import anyio
from starlette.concurrency import run_in_threadpool
from starlette.websockets import WebSocket, WebSocketDisconnect

from channels import ChannelConfig
from channels.webchat import WebChat, stored_frame
from hub.runtime.db import session_scope, utcnow
from hub.webchat import greeting, history, limits, protocol, sessions
from hub.webchat import typing as typing_indicator
from hub.webchat.fanout import LOST, Fanout, Frame, key_for
from hub.webchat.protocol import FrameError, Hello, Ping, Receipt, Say, Typing
from hub.webhooks.store import RawEventStore
from hub.webhooks.trigger import IngestTrigger

log = logging.getLogger(__name__)

HELLO_SECONDS = 15.0
RESOLVE_SECONDS = 5.0
T = TypeVar("T")


class Closed(Exception):
    """End the connection with this WebSocket close code (see PROTOCOL.md)."""

    def __init__(self, code: int, reason: str) -> None:
        super().__init__(reason)
        self.code, self.reason = code, reason


@dataclass(frozen=True)
class Services:
    """What a connection needs from its API process."""

    fanout: Fanout
    store: RawEventStore
    trigger: IngestTrigger


async def in_session(function: Callable[..., T], **kwargs: Any) -> T:
    """Run a service function with its own committed session, off the event loop."""
    def run() -> T:
        with session_scope() as session:
            return function(session=session, **kwargs)

    return await run_in_threadpool(run)


class Connection:
    def __init__(self, websocket: WebSocket, channel: ChannelConfig, adapter: WebChat, address: str,
                 services: Services) -> None:
        self.websocket, self.channel, self.adapter = websocket, channel, adapter
        self.address, self.services = address, services
        self.visitor = sessions.Visitor(identity="", verified=False)
        self.locale: str | None = None
        self._shown: set[int] = set()
        self._conversation_id: int | None = None
        self._lock = asyncio.Lock()

    async def serve(self) -> None:
        """Talk to the widget until it goes away; every refusal ends with a close code, never a crash."""
        try:
            await self._serve()
        except Closed as closed:
            await self.close(closed.code, closed.reason)
        except WebSocketDisconnect:
            return
        except Exception:
            log.exception("web chat connection failed")
            await self.close(1011, "something went wrong; reconnect")

    async def _serve(self) -> None:
        hello = await self._hello()
        self.visitor = sessions.identify(self.channel, self.adapter, hello)
        self.locale = hello.locale
        async with self.services.fanout.listen(key_for(self.channel.id, self.visitor.identity)) as inbox:
            after = hello.last_id if self.visitor.continuing else None
            messages = await in_session(history.catch_up, channel_id=self.channel.id,
                                        identity=self.visitor.identity, after=after)
            self._shown.update(frame["id"] for frame in messages)
            await self.send({"type": "welcome", "session_token": sessions.issue(self.channel.id, self.visitor.identity),
                             "verified": self.visitor.verified, "reset": not self.visitor.continuing,
                             "messages": messages, **greeting.welcome_texts(self.channel, self.locale, utcnow())})
            await self._exchange(inbox)

    async def _receive(self) -> str | None:
        message = await self.websocket.receive()
        if message["type"] == "websocket.disconnect":
            raise WebSocketDisconnect(message.get("code", 1000))
        text = message.get("text")
        return text if isinstance(text, str) else None

    async def _hello(self) -> Hello:
        try:
            raw = await asyncio.wait_for(self._receive(), HELLO_SECONDS)
        except TimeoutError:
            raise Closed(4408, "say hello first") from None
        try:
            frame = protocol.read(raw)
        except FrameError as error:
            await self.send(error.frame())
            raise Closed(4400, "the first frame must be a hello") from None
        if not isinstance(frame, Hello):
            await self.send(protocol.error_frame("hello_first", "the first frame must be a hello"))
            raise Closed(4400, "the first frame must be a hello")
        return frame

    async def _exchange(self, inbox: asyncio.Queue[Frame | None]) -> None:
        """Read the widget's frames and push replies at once; whichever ends first ends both."""
        ending: list[Closed | WebSocketDisconnect] = []
        async with anyio.create_task_group() as group:
            async def run(part: Callable[[], Awaitable[None]]) -> None:
                try:
                    await part()
                except (Closed, WebSocketDisconnect) as error:
                    ending.append(error)
                finally:
                    group.cancel_scope.cancel()

            group.start_soon(run, self._read)
            group.start_soon(run, lambda: self._push(inbox))
        if ending:
            raise ending[0]

    async def _read(self) -> None:
        redis = self.services.fanout.redis
        while True:
            raw = await self._receive()
            if not await limits.allow(redis, "frame", self.address, limits.FRAMES_PER_MINUTE):
                await self._rate_limited()
            try:
                frame = protocol.read(raw)
            except FrameError as error:
                await self.send(error.frame())
                continue
            if isinstance(frame, Say):
                await self._say(frame)
            elif isinstance(frame, Receipt):
                await in_session(history.apply_receipt, channel_id=self.channel.id, identity=self.visitor.identity,
                                 message_id=frame.message_id, status=frame.status)
            elif isinstance(frame, Ping):
                await self.send({"type": "pong"})
            elif isinstance(frame, Typing):
                await self._typing()
            else:
                await self.send(protocol.error_frame("bad_frame", "hello was already said on this connection"))

    async def _rate_limited(self) -> None:
        await self.send(protocol.error_frame("rate_limited", "too many messages; wait a minute and try again"))
        raise Closed(4429, "rate limited")

    async def _say(self, say: Say) -> None:
        """Store the message durably, then ack it; the ingest worker turns it into a conversation message."""
        if not await limits.allow(self.services.fanout.redis, "message", self.address, limits.MESSAGES_PER_MINUTE):
            await self._rate_limited()
        body = stored_frame(session=self.visitor.identity, verified=self.visitor.verified, client_id=say.client_id,
                            frame_type=say.frame_type, text=say.text, button_id=say.button_id,
                            name=self.visitor.name, locale=self.locale, sent_at=utcnow())
        try:
            row_id = await self.services.store.add("webchat", self.channel.id, "", say.client_id, body)
        except Exception:
            log.exception("could not store a web chat message")
            await self.send(protocol.error_frame("unavailable", "the message could not be saved; it will be retried",
                                                 say.client_id))
            return
        if row_id:  # None: this client_id was stored before, and acking it again changes nothing
            await self.services.trigger.fire()
        await self.send({"type": "ack", "client_id": say.client_id})

    async def _typing(self) -> None:
        """Pass the visitor's typing on to the inbox, throttled; before the first message there is no one to tell."""
        if self._conversation_id is None:  # a session's conversation never changes once it exists
            self._conversation_id = await in_session(history.conversation_id, channel_id=self.channel.id,
                                                     identity=self.visitor.identity)
            if self._conversation_id is None:
                return
        redis = self.services.fanout.redis
        if await typing_indicator.visitor_may_tell(redis, channel_id=self.channel.id, identity=self.visitor.identity):
            await typing_indicator.visitor_typing(redis, conversation_id=self._conversation_id)

    async def _push(self, inbox: asyncio.Queue[Frame | None]) -> None:
        while True:
            frame = await inbox.get()
            if frame is LOST:
                raise Closed(1012, "reconnect to catch up")
            if frame.get("type") == "typing":  # an agent is typing: passed on as it is, never stored
                author = frame.get("author")
                await self.send({"type": "typing", "author": author if isinstance(author, str) else None})
                continue
            pushed = await self._as_message(frame)
            if pushed is not None:
                await self.send(pushed)

    async def _as_message(self, frame: Frame) -> Frame | None:
        """The widget's message frame for a published reply, once the send job has recorded its id.

        The adapter publishes before the job stores the provider id, so wait for it briefly; a reply
        not found in time stays `sent`, and the widget's next catch-up brings it.
        """
        provider_id, card = frame.get("provider_message_id"), frame.get("card")
        if not isinstance(provider_id, str) or not isinstance(card, dict):
            return None
        loop = asyncio.get_running_loop()
        deadline, pause = loop.time() + RESOLVE_SECONDS, 0.02
        while True:
            found = await in_session(history.find_sent, channel_id=self.channel.id, provider_message_id=provider_id)
            if found is not None:
                break
            if loop.time() > deadline:
                log.warning("a web chat reply was published but its send was not recorded in time")
                return None
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.25)
        message_id, created_at, author = found
        if message_id in self._shown:
            return None
        self._shown.add(message_id)
        return {"type": "message", "id": message_id, "direction": "outbound", "card": card, "status": "sent",
                "created_at": created_at, "author": author}

    async def send(self, frame: Frame) -> None:
        async with self._lock:  # the reader and the pusher share one socket
            await self.websocket.send_json(frame)

    async def close(self, code: int, reason: str) -> None:
        try:
            await self.websocket.close(code, reason)
        except Exception:  # the visitor already went away
            log.debug("web chat socket already closed")
