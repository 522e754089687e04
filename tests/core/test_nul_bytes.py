"""NUL characters: refused with a sentence at the API, removed from customer messages at ingest."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from hub.composition import create_app
from hub.contacts.models import Contact
from hub.conversations.models import Message
from hub.ingest.service import receive
from hub.jobs.tasks import drain_inbound
from hub.runtime.db import session_scope
from hub.tags.models import Tag
from hub.webhooks.models import WebhookEvent
from tests.factories import inbound, make_channel, make_user, telegram_update, token_for


@pytest.fixture
def client(backend: Any) -> Any:
    with TestClient(create_app()) as test_client:
        yield test_client


def test_a_telegram_text_with_a_nul_reaches_the_inbox_without_it(client: Any) -> None:
    channel_id = make_channel("telegram", config={"bot_token": "1:abc", "secret_token": "tg-secret"}).id
    body = telegram_update(5001, text="尺寸\u0000 M 有貨嗎", first_name="花\u0000子")
    assert b"\\u0000" in body
    answer = client.post(f"/webhooks/telegram/{channel_id}", content=body,
                         headers={"X-Telegram-Bot-Api-Secret-Token": "tg-secret", "Content-Type": "application/json"})
    assert answer.status_code == 200
    drain_inbound()
    with session_scope() as session:
        assert [m.text for m in session.exec(select(Message))] == ["尺寸 M 有貨嗎"]
        assert session.exec(select(Contact.name)).one().startswith("花子")
        event = session.exec(select(WebhookEvent)).one()
        assert event.processed_at is not None and event.error is None


def _conversation(client: Any) -> tuple[int, dict[str, str]]:
    make_user("admin@shop.test", role="admin")
    channel_id = make_channel("telegram").id or 0
    with session_scope() as session:
        message = receive(session=session, channel_id=channel_id, inbound=inbound("m1"))
        assert message is not None
        conversation_id = message.conversation_id
    return conversation_id, token_for(client, "admin@shop.test")


def test_a_nul_in_a_reply_note_tag_or_search_is_a_400_and_nothing_is_stored(client: Any) -> None:
    conversation_id, auth = _conversation(client)
    base = f"/api/v1/conversations/{conversation_id}"
    refused = [
        client.post(f"{base}/messages", json={"text": "好\u0000的"}, headers=auth),
        client.post(f"{base}/notes", json={"text": "note\u0000"}, headers=auth),
        client.post(f"{base}/tags/vip%00", headers=auth),
        client.get("/api/v1/conversations", params={"q": "退\u0000款"}, headers=auth),
        client.post(f"{base}/messages", content=b'{"text": "raw \x00"}',
                    headers={**auth, "Content-Type": "application/json"}),
        client.post("/api/v1/auth/token", data={"username": "admin@shop.test\u0000", "password": "x"}),
    ]
    for answer in refused:
        assert answer.status_code == 400, answer.text
        assert "NUL" in answer.json()["detail"]
    with session_scope() as session:
        assert [m.direction for m in session.exec(select(Message))] == ["inbound"]
        assert list(session.exec(select(Tag))) == []
    # the same requests without the NUL still work, and a literal backslash-u text is no NUL
    assert client.post(f"{base}/notes", json={"text": json.loads('"\\\\u0000 is fine"')},
                       headers=auth).status_code == 201
    assert client.get("/api/v1/conversations", params={"q": "退款"}, headers=auth).status_code == 200
