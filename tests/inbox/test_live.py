"""The inbox WebSocket: who may connect, who gets which event, and the catch-up after a reconnect."""

from __future__ import annotations

import json

import pytest
import redis
from starlette.websockets import WebSocketDisconnect

from hub.realtime.live import target_of
from hub.runtime import broker, events
from hub.runtime.db import utcnow
from hub.runtime.settings import get_settings
from tests.factories import token_for


def bearer(client, email: str) -> str:
    return token_for(client, email)["Authorization"].split(" ", 1)[1]


def next_event(ws) -> dict:
    while True:
        frame = ws.receive_json()
        if frame["type"] != "ping":
            return frame


def next_reply(ws, world) -> dict:
    """The socket's answer to what the client sent. A live event may come first (the app was listening while
    the world was made, and a busy machine dispatches those events late): each must be one agent A may see."""
    while True:
        frame = next_event(ws)
        if frame["type"] != "event":
            return frame
        assert frame["data"].get("conversation_id") in (None, world.conversation_a), frame


def settled(client, ws, world, headers) -> None:
    """Every event published while the world was made has reached the socket: a tag put on now comes after them
    on Redis, so once its event arrives the socket is level with the present. Each late one must be agent A's."""
    client.post(f"/api/v1/conversations/{world.conversation_a}/tags/settled", headers=headers)
    while True:
        frame = next_event(ws)
        assert frame["type"] == "event" and frame["data"].get("conversation_id") in (None, world.conversation_a)
        assert frame["data"].get("contact_id") in (None, world.contact_a), frame
        if frame["event"] == "conversation.updated" and frame["data"].get("tag") == "settled":
            return


def test_events_reach_only_agents_who_may_see_the_conversation(client, world):
    a_headers, b_headers = token_for(client, "a@shop.test"), token_for(client, "b@shop.test")
    with client.websocket_connect(f"/api/v1/ws?token={bearer(client, 'a@shop.test')}") as ws:
        assert ws.receive_json() == {"type": "hello", "user_id": world.agent_a}
        settled(client, ws, world, a_headers)
        client.post(f"/api/v1/conversations/{world.conversation_b}/notes", json={"text": "秘密"}, headers=b_headers)
        client.post(f"/api/v1/conversations/{world.conversation_a}/tags/VIP", headers=a_headers)
        frame = next_event(ws)  # team B's note came first on Redis, but never reaches agent A
        assert frame["type"] == "event" and frame["event"] == "conversation.updated"
        assert frame["data"]["conversation_id"] == world.conversation_a and frame["data"]["tag"] == "VIP"


def test_a_reconnecting_client_catches_up_on_what_it_may_see(client, world):
    b_headers = token_for(client, "b@shop.test")
    client.post(f"/api/v1/conversations/{world.conversation_b}/notes", json={"text": "later"}, headers=b_headers)
    before = utcnow().replace(year=2000).isoformat()
    with client.websocket_connect(f"/api/v1/ws?token={bearer(client, 'a@shop.test')}") as ws:
        ws.receive_json()
        ws.send_json({"since": world.message_a - 1})
        caught = next_reply(ws, world)
        assert caught["type"] == "catch_up" and caught["complete"] is True
        assert caught["conversations"] == [world.conversation_a]
        assert [m["id"] for m in caught["messages"]] == [world.message_a]
        assert caught["last_message_id"] == world.message_a
        ws.send_json({"since": before})
        by_time = next_reply(ws, world)
        assert by_time["conversations"] == [world.conversation_a] and by_time["messages"] == []
        ws.send_json({"since": "yesterday"})
        assert next_reply(ws, world)["type"] == "error"
        ws.send_text("not json")
        assert next_reply(ws, world)["type"] == "error"
        ws.send_json({"type": "ping"})
        assert next_reply(ws, world) == {"type": "pong"}


def test_a_cookie_opens_the_socket_only_from_hubs_own_pages(client, world):
    cookie = {"Cookie": f"hub_session={bearer(client, 'a@shop.test')}"}
    with client.websocket_connect("/api/v1/ws", headers={**cookie, "Origin": "https://hub.example.test"}) as ws:
        assert ws.receive_json()["type"] == "hello"
    with client.websocket_connect("/api/v1/ws", headers={**cookie, "Origin": "https://evil.example"}) as ws:
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4403
    with client.websocket_connect("/api/v1/ws", headers=cookie) as ws:  # a cookie without any Origin
        with pytest.raises(WebSocketDisconnect) as closed:
            ws.receive_json()
        assert closed.value.code == 4403
    for url in ("/api/v1/ws", "/api/v1/ws?token=forged"):
        with client.websocket_connect(url) as ws:
            with pytest.raises(WebSocketDisconnect) as closed:
                ws.receive_json()
            assert closed.value.code == 4401


def test_events_are_checked_on_their_conversation_or_else_their_contact():
    assert target_of({"conversation_id": 3, "contact_id": 9}) == {"conversation_id": 3}
    assert target_of({"contact_id": 9}) == {"contact_id": 9}
    assert target_of({"conversation_id": "3"}) == {} and target_of({}) == {}


def test_installations_in_two_databases_of_one_redis_never_hear_each_others_events(pg_backend, monkeypatch):
    """Redis's pub/sub ignores the database a client selected: the channel's name carries it."""
    server, _, number = pg_backend.redis_url.rpartition("/")
    other = f"{server}/{int(number) - 1}"  # this test process's other database (see tests/conftest.py)

    def installation(url: str) -> None:
        monkeypatch.setenv("HUB_REDIS_URL", url)
        get_settings.cache_clear()
        broker.reset()

    listener = redis.Redis.from_url(other).pubsub()
    try:
        installation(other)
        listener.subscribe(broker.events_channel())
        assert listener.get_message(timeout=2)["type"] == "subscribe"
        installation(pg_backend.redis_url)
        broker.publish([events.Event("message.created", {"conversation_id": 1, "message_id": 1})])
        assert listener.get_message(timeout=1) is None
        installation(other)
        broker.publish([events.Event("message.created", {"conversation_id": 1, "message_id": 2})])
        heard = listener.get_message(timeout=2)
        assert heard is not None and json.loads(heard["data"])["data"]["message_id"] == 2
    finally:
        listener.close()
