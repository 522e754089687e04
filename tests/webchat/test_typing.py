"""A web chat visitor typing reaches the agents who may see the conversation, throttled, and is never stored."""

from __future__ import annotations

from typing import Any

from channels import IdentityRef, InboundMessage
from hub.conversations.models import Conversation
from hub.ingest.service import receive as ingest
from hub.jobs.tasks import drain_inbound
from hub.runtime.db import session_scope, utcnow
from tests.factories import make_channel, make_team, make_user, token_for
from tests.webchat.factories import ORIGIN, connect, hello, messages, receive, say


def inbox_socket(client: Any, email: str) -> Any:
    token = token_for(client, email)["Authorization"].split(" ", 1)[1]
    return client.websocket_connect(f"/api/v1/ws?token={token}")


def next_event(ws: Any) -> dict[str, Any]:
    while True:
        frame = receive(ws)
        if frame["type"] not in ("ping", "pong"):
            return frame


def handled(ws: Any) -> None:
    """Every frame sent before has been acted on (the widget's frames are read one by one)."""
    ws.send_json({"type": "ping"})
    assert receive(ws) == {"type": "pong"}


def telegram_conversation(channel_id: int) -> int:
    with session_scope() as session:
        message = ingest(session=session, channel_id=channel_id, inbound=InboundMessage(
            provider_message_id="tg-1", identities=(IdentityRef("telegram", "777"),), kind="text", text="hi",
            sent_at=utcnow()))
        assert message is not None
        return message.conversation_id


def test_only_agents_who_may_see_the_conversation_see_the_visitor_typing_once_per_burst(client):
    shop, elsewhere = make_team("Web shop"), make_team("Elsewhere")
    channel = make_channel("webchat", "Shop widget", team_ids=[shop], config={"allowed_origins": [ORIGIN]})
    other = make_channel("telegram", "Other", team_ids=[elsewhere])
    make_user("web@shop.test", team_ids=[shop])
    make_user("other@shop.test", team_ids=[elsewhere])
    other_conversation = telegram_conversation(other.id or 0)
    with session_scope() as session:
        other_contact = session.get(Conversation, other_conversation).contact_id  # type: ignore[union-attr]
    with connect(client, channel.id or 0) as visitor:
        hello(visitor)
        visitor.send_json({"type": "typing"})  # before the first message there is no conversation to tell
        handled(visitor)
        assert say(visitor, "Do you ship to Osaka?")["type"] == "ack"
        drain_inbound()
        [stored] = [message for message in messages() if message.conversation_id != other_conversation]
        with inbox_socket(client, "web@shop.test") as agent, inbox_socket(client, "other@shop.test") as outsider:
            assert receive(agent)["type"] == "hello" and receive(outsider)["type"] == "hello"
            client.cookies.clear()
            for _ in range(3):  # one burst of keystrokes from the widget (or several tabs)
                visitor.send_json({"type": "typing"})
            handled(visitor)
            headers = token_for(client, "web@shop.test")
            client.post(f"/api/v1/conversations/{stored.conversation_id}/tags/VIP", headers=headers)
            client.post(f"/api/v1/conversations/{other_conversation}/tags/VIP",
                        headers=token_for(client, "other@shop.test"))
            assert next_event(agent) == {"type": "event", "event": "visitor.typing",
                                         "data": {"conversation_id": stored.conversation_id}}
            after = next_event(agent)  # the burst told once: the next event is the tag
            assert (after["event"], after["data"]["conversation_id"]) == ("conversation.updated",
                                                                          stored.conversation_id)
            seen = next_event(outsider)  # another team's agent never hears of it
            while seen["event"] != "conversation.updated":  # a late event of the outsider's own conversation or
                # contact, from making the world (as test_live's next_reply): only those the outsider may see
                assert (seen["data"].get("conversation_id") == other_conversation
                        or seen["data"].get("contact_id") == other_contact), seen
                seen = next_event(outsider)
            assert seen["data"]["conversation_id"] == other_conversation
    assert len(messages()) == 2  # the two customers' messages: typing is never a message


def test_a_typing_frame_is_part_of_the_protocol(client):
    channel = make_channel("webchat", "Shop widget", config={"allowed_origins": [ORIGIN]})
    with connect(client, channel.id or 0) as visitor:
        hello(visitor)
        visitor.send_json({"type": "typing", "text": "ignored"})
        visitor.send_json({"type": "ping"})
        assert receive(visitor) == {"type": "pong"}  # no error frame came first
