"""The inbox WebSocket `/api/v1/ws`: live events for the signed-in agent, and catch-up after a reconnect.

Auth: the session cookie (then the page's Origin must be Hub's own) or `?token=<bearer token>`.
Refusals close right after the handshake with a code the client can read: 4401 (sign in again),
4403 (wrong origin). A session revoked while the socket is open (sign-out, deactivation, a new
password) closes it at once with 4401. Protocol (JSON text frames):

- server → `{"type": "hello", "user_id": n}` once; `{"type": "event", "event": name, "data": {...}}`
  for each committed event about a conversation the user may see; `{"type": "resync"}` when events
  may have been lost (reload); `{"type": "ping"}` every PING_SECONDS.
- client → `{"since": <last message id or ISO time>}` → `{"type": "catch_up", "conversations": [...],
  "messages": [...], "last_message_id": n, "complete": bool}`; `{"type": "ping"}` → `{"type": "pong"}`.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, WebSocket, WebSocketDisconnect
from sqlmodel import Session
from starlette.concurrency import run_in_threadpool

from hub.agents import tokens
from hub.agents.models import Role, User
from hub.realtime.catch_up import BadSince, catch_up, parse_since
from hub.realtime.live import ENDED, Client, LiveHub
from hub.runtime.db import get_engine
from hub.runtime.settings import get_settings

router = APIRouter(tags=["live"])

PING_SECONDS = 25.0
RECHECK_SECONDS = 60.0
MAX_FRAME = 4096


def origin_allowed(origin: str | None, host: str | None) -> bool:
    """A cookie may only open the socket from Hub's own pages (HUB_PUBLIC_URL, or the host the page came from)."""
    if not origin:
        return False
    public = urlsplit(get_settings().public_url)
    allowed = {f"{public.scheme}://{public.netloc}"}
    if host:
        allowed |= {f"http://{host}", f"https://{host}"}
    return origin.rstrip("/") in allowed


def _user_for(token: str) -> User | None:
    with Session(get_engine()) as session:
        user = tokens.user_for_token(session=session, token=token)
        return None if user is None or user.role == Role.store else user  # the till sees no conversations


def _catch_up(user_id: int, since: Any) -> dict[str, Any]:
    with Session(get_engine()) as session:
        user = session.get(User, user_id)
        if user is None:
            return {"type": "error", "detail": "sign in again"}
        try:
            return catch_up(session=session, user=user, since=parse_since(since))
        except BadSince as error:
            return {"type": "error", "detail": str(error)}


@router.websocket("/api/v1/ws")
async def inbox_socket(websocket: WebSocket) -> None:
    token = websocket.query_params.get("token")
    by_cookie = not token
    if by_cookie:
        token = tokens.session_token_in(websocket.headers.get("cookie"))
    await websocket.accept()
    if not token:
        await websocket.close(4401, "sign in first")
        return
    if by_cookie and not origin_allowed(websocket.headers.get("origin"), websocket.headers.get("host")):
        await websocket.close(4403, "this page's origin may not use the session")
        return
    user = await run_in_threadpool(_user_for, token)
    if user is None or user.id is None:
        await websocket.close(4401, "sign in first")
        return
    live: LiveHub = websocket.app.state.live
    client = await live.join(user.id, tokens.session_id_of(token))
    try:
        await websocket.send_json({"type": "hello", "user_id": user.id})
        await _serve(websocket, client, token or "")
    except WebSocketDisconnect:
        pass
    finally:
        live.leave(client)


async def _serve(websocket: WebSocket, client: Client, token: str) -> None:
    reader = asyncio.create_task(_read(websocket, client))
    try:
        await _write(websocket, client, token, reader)
    finally:
        reader.cancel()
        with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect, Exception):
            await reader


async def _read(websocket: WebSocket, client: Client) -> None:
    while True:
        raw = await websocket.receive_text()
        try:
            frame = json.loads(raw) if len(raw) <= MAX_FRAME else None
        except ValueError:
            frame = None
        if not isinstance(frame, dict):
            client.offer({"type": "error", "detail": "frames are JSON objects of at most 4 KiB"})
        elif "since" in frame:
            client.offer(await run_in_threadpool(_catch_up, client.user_id, frame["since"]))
        elif frame.get("type") == "ping":
            client.offer({"type": "pong"})


async def _write(websocket: WebSocket, client: Client, token: str, reader: asyncio.Task[None]) -> None:
    loop = asyncio.get_running_loop()
    checked = loop.time()
    while True:
        getter = asyncio.ensure_future(client.queue.get())
        done, _ = await asyncio.wait({getter, reader}, timeout=PING_SECONDS, return_when=asyncio.FIRST_COMPLETED)
        if getter not in done:
            getter.cancel()
        if reader in done:  # the client went away
            return
        frame = getter.result() if getter in done else {"type": "ping"}
        if frame is None:
            await websocket.close(4408, "fell behind; reconnect and catch up")
            return
        if frame is ENDED:  # revoked: signed out, deactivated, or a new password
            await websocket.close(4401, "the session ended")
            return
        if loop.time() - checked > RECHECK_SECONDS:  # a password change or deactivation ends live sessions too
            checked = loop.time()
            if await run_in_threadpool(_user_for, token) is None:
                await websocket.close(4401, "the session ended")
                return
        await websocket.send_json(frame)
