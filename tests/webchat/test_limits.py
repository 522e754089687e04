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
