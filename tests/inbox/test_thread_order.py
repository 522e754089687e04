"""Threads in the customer's order: the provider's timestamp decides, not the order webhooks arrive in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from channels import IdentityRef, InboundMessage
from hub.composition import create_app
from hub.ingest.service import receive
from hub.runtime.db import session_scope
from tests.factories import make_channel, make_user, token_for


@pytest.fixture
def client(backend: Any) -> Any:
    with TestClient(create_app()) as test_client:
        yield test_client


def arrive(channel_id: int, provider_id: str, text: str, sent_at: datetime) -> int:
    inbound = InboundMessage(provider_message_id=provider_id, identities=(IdentityRef("telegram", "42"),),
                             kind="text", text=text, sent_at=sent_at, profile_name="陳大文")
    with session_scope() as session:
        message = receive(session=session, channel_id=channel_id, inbound=inbound)
        assert message is not None
        return message.conversation_id


def test_late_webhooks_take_their_place_in_the_thread(client: Any) -> None:
    make_user("admin@shop.test", role="admin")
    channel_id = make_channel("telegram").id or 0
    start = datetime.now(UTC) - timedelta(minutes=10)
    # the customer wrote 1, 2, 3, 4 a second apart; the webhooks came 3, 1, 4, 2, and one in the future
    for n in (3, 1, 4, 2):
        conversation_id = arrive(channel_id, f"m{n}", f"第{n}則", start + timedelta(seconds=n))
    arrive(channel_id, "m5", "skewed clock", datetime.now(UTC) + timedelta(days=1))
    auth = token_for(client, "admin@shop.test")
    path = f"/api/v1/conversations/{conversation_id}/messages"
    thread = client.get(path, headers=auth).json()
    assert [m["text"] for m in thread] == ["第1則", "第2則", "第3則", "第4則", "skewed clock"]
    older = client.get(path, params={"before_id": thread[2]["id"], "limit": 1}, headers=auth).json()
    assert [m["text"] for m in older] == ["第2則"]
    history = client.get(f"/api/v1/inbox/conversations/{conversation_id}/history", headers=auth).json()
    assert [m["text"] for m in history] == ["第1則", "第2則", "第3則", "第4則", "skewed clock"]
    # a reply goes after everything the customer had written when it was sent
    sent = client.post(path, json={"text": "收到"}, headers=auth)
    assert sent.status_code == 202, sent.text
    assert [m["text"] for m in client.get(path, headers=auth).json()][-2:] == ["skewed clock", "收到"]
