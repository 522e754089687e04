"""The visitor WebSocket: origins, durable acks, duplicates, sessions across reloads, catch-up, receipts."""

from __future__ import annotations

import pytest
from sqlmodel import select
from starlette.websockets import WebSocketDisconnect

from hub.conversations import outbound
from hub.conversations.models import Conversation, Message
from hub.jobs.tasks import drain_inbound, send_message
from hub.runtime.db import session_scope
from tests.factories import make_channel
from tests.webchat.factories import (
    connect,
    events,
    hello,
    identities,
    messages,
    receive,
    say,
    webchat_channel,
)


def closed_with(client, channel_id, origin="https://shop.example") -> int:
    with connect(client, channel_id, origin) as ws, pytest.raises(WebSocketDisconnect) as closed:
        hello(ws)
    return closed.value.code


def test_only_allowed_origins_may_open_the_widget(client):
    channel_id = webchat_channel()
    assert closed_with(client, channel_id, "https://evil.example") == 4403
    assert closed_with(client, channel_id, None) == 4403
    assert closed_with(client, channel_id, "https://shop.example.evil.example") == 4403
    with connect(client, channel_id, "https://SHOP.example:443") as ws:
        assert hello(ws)["messages"] == []
    hub_only = webchat_channel(allowed_origins=[])  # none configured: Hub's own origin only
    assert closed_with(client, hub_only, "https://shop.example") == 4403
    with connect(client, hub_only, "https://hub.example.test") as ws:
        hello(ws)


def test_unknown_channels_and_other_kinds_are_closed_with_4404(client):
    telegram = make_channel("telegram")
    for channel_id in ("999", "abc", str(telegram.id)):
        assert closed_with(client, channel_id) == 4404
    assert client.post(f"/webhooks/webchat/{webchat_channel()}", content=b"{}").status_code == 404  # no webhooks


def test_a_message_is_acked_once_stored_and_becomes_a_conversation_in_the_worker(client):
    channel_id = webchat_channel()
    with connect(client, channel_id) as ws:
        hello(ws)
        assert say(ws, "このジャケットのMサイズはありますか？", "client-0001") == {"type": "ack",
                                                                             "client_id": "client-0001"}
        [event] = events()  # the row exists by the time the ack arrives
        assert (event.channel_id, event.event_id, event.processed_at) == (channel_id, "client-0001", None)
        assert messages() == []
    assert drain_inbound() == 1
    [message] = messages()
    assert (message.direction, message.kind) == ("inbound", "text")
    assert message.text == "このジャケットのMサイズはありますか？"
    assert message.provider_message_id == "client-0001"
    [identity] = identities()
    assert identity.value.startswith(f"{channel_id}:s:") and identity.verified is False


def test_a_repeated_client_id_is_acked_and_changes_nothing(client):
    channel_id = webchat_channel()
    with connect(client, channel_id) as ws:
        hello(ws)
        for _ in range(3):
            assert say(ws, "你好", "same-client-id")["type"] == "ack"
    assert len(events()) == 1
    drain_inbound()
    assert len(messages()) == 1


def test_bad_frames_get_an_error_frame_and_the_connection_stays_open(client):
    channel_id = webchat_channel()
    with connect(client, channel_id) as ws:
        hello(ws)
        ws.send_text("{not json")
        assert receive(ws)["code"] == "bad_frame"
        assert say(ws, "x" * 4001, "too-long-01") == {"type": "error", "code": "too_long", "client_id": "too-long-01",
                                                       "message": "a message may be at most 4000 characters"}
        assert say(ws, "   ", "empty-text-01")["code"] == "empty"
        ws.send_json({"type": "message", "client_id": "no", "text": "hi"})
        assert receive(ws)["code"] == "bad_frame"
        ws.send_bytes(b"\x00\x01")
        assert receive(ws)["code"] == "bad_frame"
        ws.send_json({"type": "ping"})
        assert receive(ws) == {"type": "pong"}
        assert say(ws, "ok\x00 now", "fine-0001")["type"] == "ack"
    drain_inbound()
    assert [m.text for m in messages()] == ["ok now"]
    with connect(client, channel_id) as ws, pytest.raises(WebSocketDisconnect) as closed:
        ws.send_json({"type": "message", "client_id": "before-hello", "text": "hi"})
        receive(ws)
        receive(ws)
    assert closed.value.code == 4400


def test_a_reload_with_the_session_token_continues_the_same_conversation(client):
    channel_id = webchat_channel()
    with connect(client, channel_id) as ws:
        first = hello(ws)
        say(ws, "first visit", "visit-0001")
    drain_inbound()
    with connect(client, channel_id) as ws:
        again = hello(ws, token=first["session_token"])
        assert again["reset"] is False
        assert [(m["direction"], m["text"], m["client_id"]) for m in again["messages"]] == [
            ("inbound", "first visit", "visit-0001")]
        say(ws, "after the reload", "visit-0002")
    with connect(client, channel_id) as ws:  # a forged token starts a new session
        assert hello(ws, token=first["session_token"] + "x")["reset"] is True
    drain_inbound()
    assert len(identities()) == 1
    assert len({m.conversation_id for m in messages()}) == 1


def reply(conversation_id: int, text: str, kind: str = "text", payload: dict | None = None) -> int:
    with session_scope() as session:
        conversation = session.get(Conversation, conversation_id)
        message, _ = outbound.queue_reply(session=session, conversation=conversation, author_id=None, text=text,
                                          kind=kind, payload=payload)
        return message.id


def test_a_reconnect_catches_up_on_what_was_missed_and_receipts_apply(client):
    channel_id = webchat_channel()
    with connect(client, channel_id) as ws:
        token = hello(ws)["session_token"]
        say(ws, "are you open today?", "catch-0001")
    drain_inbound()
    [first] = messages()
    replies = [reply(first.conversation_id, "Yes, until 8pm"), reply(first.conversation_id, "営業中です")]
    assert [send_message(message_id) for message_id in replies] == ["sent", "sent"]  # nobody is listening
    with session_scope() as session:
        session.add(Message(conversation_id=first.conversation_id, channel_id=channel_id, direction="outbound",
                            kind="note", text="private: VIP", status="sent"))
        never_sent = reply(first.conversation_id, "still queued")
    with connect(client, channel_id) as ws:
        welcome = hello(ws, token=token, last_id=first.id)
        caught = welcome["messages"]
        assert [(m["id"], m["direction"], m["card"]) for m in caught] == [
            (replies[0], "outbound", {"kind": "text", "text": "Yes, until 8pm"}),
            (replies[1], "outbound", {"kind": "text", "text": "営業中です"})]
        assert never_sent not in [m["id"] for m in caught]
        ws.send_json({"type": "receipt", "id": replies[0], "status": "read"})
        ws.send_json({"type": "receipt", "id": replies[1], "status": "delivered"})
        ws.send_json({"type": "receipt", "id": first.id, "status": "read"})  # not a reply: ignored
        ws.send_json({"type": "ping"})
        assert receive(ws) == {"type": "pong"}
    with session_scope() as session:
        statuses = [session.get(Message, message_id).status for message_id in (*replies, first.id)]
    assert statuses == ["read", "delivered", "received"]
    with connect(client, channel_id) as ws:  # replies the widget acknowledged are not repeated
        assert hello(ws, token=token, last_id=replies[1])["messages"] == []
    with connect(client, channel_id) as ws:  # another visitor cannot confirm this session's replies
        hello(ws)
        ws.send_json({"type": "receipt", "id": replies[1], "status": "read"})
        ws.send_json({"type": "ping"})
        receive(ws)
    with session_scope() as session:
        assert session.exec(select(Message.status).where(Message.id == replies[1])).one() == "delivered"
