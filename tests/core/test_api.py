"""The inbox API: sign-in, access by team, the conversation list, threads and replies."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from hub.composition import create_app
from hub.conversations.models import Conversation, Message
from hub.ingest.service import receive
from hub.runtime.db import session_scope, utcnow
from tests.factories import inbound, make_channel, make_team, make_user, token_for


@pytest.fixture
def client(backend):
    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.fixture
def two_teams(backend):
    """Team A has the WhatsApp channel, team B the SMS one; one conversation on each."""
    team_a, team_b = make_team("A"), make_team("B")
    whatsapp = make_channel("whatsapp_meta", "WA", team_ids=[team_a])
    sms = make_channel("sms_twilio", "SMS", team_ids=[team_b])
    make_user("a@shop.test", team_ids=[team_a])
    make_user("b@shop.test", team_ids=[team_b])
    make_user("boss@shop.test", role="admin")
    make_user("ads@shop.test", role="marketer")
    with session_scope() as session:
        wa = receive(session=session, channel_id=whatsapp.id, inbound=inbound("wamid.A", "+85291110000", "想退貨"))
        sm = receive(session=session, channel_id=sms.id, inbound=inbound("SM.B", "+14155550000", "Where is my order?",
                                                                         "Emily"))
        return {"a": wa.conversation_id, "b": sm.conversation_id, "contact_b": session.get(
            Conversation, sm.conversation_id).contact_id}


def test_every_api_route_needs_a_token(client):
    for path in ("/api/v1/conversations", "/api/v1/contacts", "/api/v1/channels", "/api/v1/me"):
        assert client.get(path).status_code == 401
    assert client.get("/api/v1/conversations", headers={"Authorization": "Bearer forged"}).status_code == 401


def test_a_wrong_password_gets_401(client, two_teams):
    answer = client.post("/api/v1/auth/token", data={"username": "a@shop.test", "password": "nope-nope"})
    assert answer.status_code == 401


def test_an_agent_sees_only_their_teams_conversations(client, two_teams):
    headers = token_for(client, "a@shop.test")
    listed = client.get("/api/v1/conversations", headers=headers).json()["items"]
    assert [c["id"] for c in listed] == [two_teams["a"]]
    b = two_teams["b"]
    for path in (f"/api/v1/conversations/{b}", f"/api/v1/conversations/{b}/messages",
                 f"/api/v1/contacts/{two_teams['contact_b']}"):
        assert client.get(path, headers=headers).status_code == 404, path
    answer = client.post(f"/api/v1/conversations/{b}/messages", json={"text": "hi"}, headers=headers)
    assert answer.status_code == 404
    assert client.get("/api/v1/conversations?q=order", headers=headers).json()["items"] == []
    assert two_teams["contact_b"] not in [c["id"] for c in client.get("/api/v1/contacts", headers=headers).json()]


def test_an_admin_sees_everything_and_a_marketer_no_transcripts(client, two_teams):
    admin = token_for(client, "boss@shop.test")
    assert len(client.get("/api/v1/conversations", headers=admin).json()["items"]) == 2
    marketer = token_for(client, "ads@shop.test")
    assert client.get("/api/v1/conversations", headers=marketer).json()["items"] == []
    assert client.get(f"/api/v1/conversations/{two_teams['a']}/messages", headers=marketer).status_code == 404
    assert client.post("/api/v1/channels", json={"kind": "telegram", "name": "x"}, headers=marketer).status_code == 403


def test_search_finds_chinese_inside_a_sentence(client, two_teams):
    admin = token_for(client, "boss@shop.test")
    found = client.get("/api/v1/conversations", params={"q": "退貨"}, headers=admin).json()["items"]
    assert [c["id"] for c in found] == [two_teams["a"]]


def test_cursor_pagination_walks_every_conversation_once(client, backend):
    channel = make_channel("sms_twilio")
    make_user("boss@shop.test", role="admin")
    with session_scope() as session:
        for n in range(7):
            receive(session=session, channel_id=channel.id, inbound=inbound(f"SM{n}", f"+1415555{n:04d}", f"msg {n}"))
    admin = token_for(client, "boss@shop.test")
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/conversations", params=params, headers=admin).json()
        seen += [c["id"] for c in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert sorted(seen) == list(range(1, 8)) and len(seen) == 7
    assert client.get("/api/v1/conversations", params={"cursor": "garbage!"}, headers=admin).status_code == 400


def test_a_reply_is_queued_once_per_idempotency_key(client, two_teams):
    headers = {**token_for(client, "a@shop.test"), "Idempotency-Key": "click-1"}
    first = client.post(f"/api/v1/conversations/{two_teams['a']}/messages", json={"text": "可以，請提供訂單號碼"},
                        headers=headers)
    again = client.post(f"/api/v1/conversations/{two_teams['a']}/messages", json={"text": "可以，請提供訂單號碼"},
                        headers=headers)
    assert first.status_code == 202 and first.json()["status"] == "queued"
    assert again.json()["id"] == first.json()["id"]
    with session_scope() as session:
        outbound = session.exec(select(Message).where(Message.direction == "outbound")).all()
        assert len(outbound) == 1
        assert session.get(Conversation, two_teams["a"]).first_response_at is not None


def test_free_text_to_whatsapp_after_24_hours_is_refused_before_any_provider_call(client, two_teams):
    with session_scope() as session:
        conversation = session.get(Conversation, two_teams["a"])
        conversation.last_inbound_at = utcnow() - timedelta(hours=25)
        session.add(conversation)
    headers = token_for(client, "a@shop.test")
    answer = client.post(f"/api/v1/conversations/{two_teams['a']}/messages", json={"text": "hello?"},
                         headers=headers)
    assert answer.status_code == 422
    assert "template" in answer.json()["detail"]
    with session_scope() as session:
        assert session.exec(select(Message).where(Message.direction == "outbound")).all() == []


def test_bad_input_gets_a_readable_4xx(client, two_teams):
    headers = token_for(client, "a@shop.test")
    answer = client.post(f"/api/v1/conversations/{two_teams['a']}/messages", json={"text": 5, "kind": "fax"},
                         headers=headers)
    assert answer.status_code == 422
    assert "kind" in answer.json()["detail"]
    assert client.get("/api/v1/conversations?status=nope", headers=headers).status_code == 422
    assert client.get("/api/v1/conversations/notanumber", headers=headers).status_code == 422


def test_channels_are_created_by_admins_and_never_return_secrets(client, backend):
    make_user("boss@shop.test", role="admin")
    admin = token_for(client, "boss@shop.test")
    answer = client.post("/api/v1/channels", headers=admin, json={
        "kind": "whatsapp_meta", "name": "HK number",
        "config": {"phone_number_id": "106540352242922", "access_token": "EAAG-secret", "app_secret": "s3cr3t",
                   "verify_token": "vt-123"}})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["webhook_url"] == f"https://hub.example.test/webhooks/meta/{body['id']}"
    assert "EAAG-secret" not in answer.text and "s3cr3t" not in answer.text and "vt-123" not in answer.text
    assert "EAAG-secret" not in client.get("/api/v1/channels", headers=admin).text
    bad = client.post("/api/v1/channels", headers=admin, json={"kind": "fax", "name": "x"})
    assert bad.status_code == 422 and "unknown channel kind" in bad.json()["detail"]


def test_production_refuses_sandbox_channels(client, backend, monkeypatch):
    from hub.runtime.settings import get_settings

    make_user("boss@shop.test", role="admin")
    admin = token_for(client, "boss@shop.test")
    monkeypatch.setenv("HUB_ENV", "production")
    for development_only in ("HUB_SANDBOX", "HUB_ALLOW_PRIVATE_URLS"):  # refused in production
        monkeypatch.delenv(development_only)
    get_settings.cache_clear()
    answer = client.post("/api/v1/channels", headers=admin, json={"kind": "telegram", "name": "bot"})
    assert answer.status_code == 422 and "credentials" in answer.json()["detail"]


def test_a_webchat_channel_comes_with_its_widget_snippet(client, backend):
    make_user("boss@shop.test", role="admin")
    admin = token_for(client, "boss@shop.test")
    answer = client.post("/api/v1/channels", headers=admin, json={
        "kind": "webchat", "name": "Shop site", "config": {"allowed_origins": ["https://shop.example"],
                                                            "identity_secret": "0123456789abcdef0123"}})
    assert answer.status_code == 201, answer.text
    body = answer.json()
    assert body["webhook_url"] is None and "0123456789abcdef0123" not in answer.text
    assert body["widget_snippet"] == (f'<script src="https://hub.example.test/widget.js" data-channel="{body["id"]}" '
                                      'async></script>')
    assert body["websocket_url"] == f"wss://hub.example.test/webchat/{body['id']}/ws"
