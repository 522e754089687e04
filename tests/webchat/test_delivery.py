"""A shop reply queued through the API and sent by the job reaches the visitor's open WebSocket as a card."""

from __future__ import annotations

from hub.conversations.models import Message
from hub.jobs.tasks import drain_inbound, send_message
from hub.runtime.db import session_scope
from tests.factories import make_user, token_for
from tests.webchat.factories import connect, hello, messages, receive, say, webchat_channel


def test_a_reply_from_the_inbox_arrives_on_the_open_widget_and_a_button_press_comes_back(client):
    channel_id = webchat_channel()
    make_user("admin@shop.example", role="admin")
    auth = token_for(client, "admin@shop.example")
    with connect(client, channel_id) as ws:
        hello(ws)
        say(ws, "有冇M碼？", "ask-size-01")
        drain_inbound()
        [question] = messages()
        answer = client.post(f"/api/v1/conversations/{question.conversation_id}/messages", headers=auth,
                             json={"text": "有，仲有兩件 👍"})
        assert answer.status_code == 202 and answer.json()["status"] == "queued"
        assert send_message(answer.json()["id"]) == "sent"
        pushed = receive(ws)
        assert pushed["type"] == "message" and pushed["id"] == answer.json()["id"]
        assert (pushed["direction"], pushed["card"]) == ("outbound", {"kind": "text", "text": "有，仲有兩件 👍"})

        menu = client.post(f"/api/v1/conversations/{question.conversation_id}/messages", headers=auth, json={
            "kind": "buttons", "text": "要留一件嗎？",
            "payload": {"buttons": [{"title": "好", "id": "hold-yes"},
                                    {"title": "睇圖", "url": "https://shop.example/p/42"}]}}).json()
        assert send_message(menu["id"]) == "sent"
        card = receive(ws)["card"]
        assert card == {"kind": "buttons", "text": "要留一件嗎？", "buttons": [
            {"type": "reply", "id": "hold-yes", "title": "好"},
            {"type": "url", "url": "https://shop.example/p/42", "title": "睇圖"}]}
        ws.send_json({"type": "receipt", "id": menu["id"], "status": "read"})
        ws.send_json({"type": "button", "client_id": "press-hold-1", "button_id": "hold-yes", "text": "好"})
        assert receive(ws) == {"type": "ack", "client_id": "press-hold-1"}
    drain_inbound()
    press = messages()[-1]
    assert (press.kind, press.text, press.payload["id"]) == ("button_reply", "好", "hold-yes")
    with session_scope() as session:
        assert session.get(Message, menu["id"]).status == "read"
