"""Per-address rate limits: an error frame, then close code 4429."""

from __future__ import annotations

import pytest
from starlette.websockets import WebSocketDisconnect

from hub.webchat import limits
from tests.webchat.factories import connect, events, hello, receive, say, webchat_channel


@pytest.fixture(autouse=True)
def one_minute(monkeypatch):
    """Every count of a test falls in one window, even when the clock passes a minute mid-test."""
    monkeypatch.setattr(limits, "window", lambda: 29_000_000)


def test_too_many_connections_from_one_address_are_refused(client, monkeypatch):
    monkeypatch.setattr(limits, "CONNECTIONS_PER_MINUTE", 2)
    channel_id = webchat_channel()
    for _ in range(2):
        with connect(client, channel_id) as ws:
            hello(ws)
    with connect(client, channel_id) as ws:
        assert receive(ws)["code"] == "rate_limited"
        with pytest.raises(WebSocketDisconnect) as closed:
            receive(ws)
    assert closed.value.code == 4429


def test_too_many_messages_from_one_address_are_refused(client, monkeypatch):
    monkeypatch.setattr(limits, "MESSAGES_PER_MINUTE", 2)
    channel_id = webchat_channel()
    with connect(client, channel_id) as ws:
        hello(ws)
        assert say(ws, "one")["type"] == "ack"
        assert say(ws, "two")["type"] == "ack"
        assert say(ws, "three")["code"] == "rate_limited"
        with pytest.raises(WebSocketDisconnect) as closed:
            receive(ws)
    assert closed.value.code == 4429
    assert len(events()) == 2


def test_the_limits_still_hold_when_redis_is_down():
    """Issue 12, item 15: an attacker who cuts Redis does not lift the limit (each process counts)."""
    import asyncio

    import redis.asyncio as aioredis
    from redis.asyncio.retry import Retry
    from redis.backoff import NoBackoff

    from hub.local_counts import COUNTS

    async def tries() -> list[bool]:
        # refused at once, not after redis-py's ten retries with backoff (four seconds a call)
        dead = aioredis.Redis(host="127.0.0.1", port=1, socket_connect_timeout=0.5, retry=Retry(NoBackoff(), 0))
        try:
            return [await limits.allow(dead, "message", "203.0.113.80", 3) for _ in range(5)]
        finally:
            await dead.aclose()

    COUNTS._values.clear()
    assert asyncio.run(tries()) == [True, True, True, False, False]
