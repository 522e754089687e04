"""Helpers for the web chat tests: a widget channel, a visitor's WebSocket, frames with a timeout."""

from __future__ import annotations

import json
import uuid
from typing import Any

import anyio
from sqlmodel import select

from channels.webchat.identity import signature
from hub.contacts.models import ChannelIdentity
from hub.conversations.models import Message
from hub.runtime.db import session_scope
from hub.webhooks.models import WebhookEvent
from tests.factories import make_channel

ORIGIN = "https://shop.example"
SECRET = "shop-identity-secret-0123456789"


def webchat_channel(**config: Any) -> int:
    channel = make_channel("webchat", name="Shop widget",
                           config={"allowed_origins": [ORIGIN], "identity_secret": SECRET, **config})
    assert channel.id is not None
    return channel.id


def connect(client: Any, channel_id: int | str, origin: str | None = ORIGIN) -> Any:
    headers = {"origin": origin} if origin else {}
    return client.websocket_connect(f"/webchat/{channel_id}/ws", headers=headers)


def receive(ws: Any, timeout: float = 5.0) -> dict[str, Any]:
    """The next frame, failing the test instead of hanging when none comes."""
    async def next_message() -> Any:
        with anyio.fail_after(timeout):
            return await ws._send_rx.receive()

    message = ws.portal.call(next_message)
    ws._raise_on_close(message)
    return json.loads(message["text"])  # type: ignore[no-any-return]


def hello(ws: Any, token: str | None = None, identity: dict[str, Any] | None = None,
          last_id: int | None = None) -> dict[str, Any]:
    ws.send_json({"type": "hello", "session_token": token, "identity": identity, "last_id": last_id,
                  "locale": "ja-JP"})
    welcome = receive(ws)
    assert welcome["type"] == "welcome", welcome
    return welcome


def user(user_id: str, name: str = "鈴木花子", secret: str = SECRET) -> dict[str, Any]:
    """The identity a shop's page passes for a signed-in user."""
    return {"user_id": user_id, "name": name, "signature": signature(secret, user_id)}


def say(ws: Any, text: str, client_id: str | None = None) -> dict[str, Any]:
    ws.send_json({"type": "message", "client_id": client_id or uuid.uuid4().hex, "text": text})
    return receive(ws)


def events() -> list[WebhookEvent]:
    with session_scope() as session:
        return list(session.exec(select(WebhookEvent).where(WebhookEvent.provider == "webchat")))


def messages() -> list[Message]:
    with session_scope() as session:
        return list(session.exec(select(Message).order_by(Message.id)))  # type: ignore[arg-type]


def identities() -> list[ChannelIdentity]:
    with session_scope() as session:
        return list(session.exec(select(ChannelIdentity).where(ChannelIdentity.kind == "webchat")
                                 .order_by(ChannelIdentity.id)))  # type: ignore[arg-type]
