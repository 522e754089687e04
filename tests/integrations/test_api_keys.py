"""API keys: made by admins, shown once, hashed at rest, scoped, revocable, rate limited and audited."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from hub.api_keys.models import ApiKey
from hub.audit.models import AuditEntry
from hub.composition import create_app
from hub.conversations.models import Message
from hub.ingest.service import receive
from hub.runtime.db import session_scope
from tests.factories import inbound, make_channel, make_user, token_for


@pytest.fixture
def client(backend):
    make_user("boss@shop.test", role="admin")
    make_user("ann@shop.test")
    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.fixture
def admin(client):
    return token_for(client, "boss@shop.test")


@pytest.fixture
def conversation_id(backend):
    channel = make_channel("whatsapp_meta", "WA")
    with session_scope() as session:
        return receive(session=session, channel_id=channel.id, inbound=inbound("wamid.K1", "+85291110000", "有貨嗎？")
                       ).conversation_id


def make_key(client, admin, scopes, **extra):
    answer = client.post("/api/v1/api-keys", json={"name": "POS", "scopes": scopes, **extra}, headers=admin)
    assert answer.status_code == 201, answer.text
    return answer.json()


def bearer(key):
    return {"Authorization": f"Bearer {key['secret']}"}


def test_a_key_is_shown_once_and_stored_only_as_a_hash(client, admin):
    key = make_key(client, admin, ["contacts:read"])
    assert key["secret"].startswith("hub_live_") and len(key["secret"]) > 40
    assert key["secret"].startswith(key["prefix"])
    listed = client.get("/api/v1/api-keys", headers=admin).json()
    assert [row["id"] for row in listed] == [key["id"]] and "secret" not in listed[0]
    with session_scope() as session:
        row = session.exec(select(ApiKey)).one()
        assert key["secret"] not in row.secret_hash and len(row.secret_hash) == 64
    agent = token_for(client, "ann@shop.test")
    assert client.get("/api/v1/api-keys", headers=agent).status_code == 403
    assert client.post("/api/v1/api-keys", json={"name": "x", "scopes": ["contacts:read"]},
                       headers=agent).status_code == 403
    assert client.post("/api/v1/api-keys", json={"name": "x", "scopes": ["everything"]},
                       headers=admin).status_code == 422


def test_a_key_reads_and_sends_with_its_scopes_only(client, admin, conversation_id):
    reader = make_key(client, admin, ["contacts:read", "conversations:read"])
    assert client.get("/api/v1/contacts", headers=bearer(reader)).json()[0]["name"] == "陳大文"
    thread = client.get(f"/api/v1/conversations/{conversation_id}/messages", headers=bearer(reader))
    assert thread.status_code == 200 and thread.json()[0]["text"] == "有貨嗎？"
    refused = client.post(f"/api/v1/conversations/{conversation_id}/messages", json={"text": "有"},
                          headers=bearer(reader))
    assert refused.status_code == 403 and "messages:send" in refused.json()["detail"]
    sender = make_key(client, admin, ["messages:send"])
    sent = client.post(f"/api/v1/conversations/{conversation_id}/messages", json={"text": "有，M 碼還有三件"},
                       headers=bearer(sender))
    assert sent.status_code == 202, sent.text
    assert client.get("/api/v1/contacts", headers=bearer(sender)).status_code == 403
    with session_scope() as session:
        assert session.exec(select(Message).where(Message.direction == "outbound")).one().text == "有，M 碼還有三件"
        uses = session.exec(select(AuditEntry).where(AuditEntry.action == "api_key.used")).all()
        assert [(u.target_id, u.details["scope"]) for u in uses] == [
            (str(reader["id"]), "contacts:read"), (str(reader["id"]), "conversations:read"),
            (str(sender["id"]), "messages:send")]
        assert session.get(ApiKey, reader["id"]).last_used_at is not None


def test_a_revoked_or_unknown_key_gets_401(client, admin):
    key = make_key(client, admin, ["contacts:read"])
    assert client.get("/api/v1/contacts", headers=bearer(key)).status_code == 200
    assert client.delete(f"/api/v1/api-keys/{key['id']}", headers=admin).status_code == 204
    assert client.get("/api/v1/contacts", headers=bearer(key)).status_code == 401
    assert client.get("/api/v1/contacts", headers={"Authorization": "Bearer hub_live_guessed"}).status_code == 401
    assert client.delete("/api/v1/api-keys/999", headers=admin).status_code == 404
    assert client.get("/api/v1/api-keys", headers=admin).json()[0]["revoked_at"] is not None
    with session_scope() as session:
        actions = [e.action for e in session.exec(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["api_key.created", "api_key.used", "api_key.revoked"]


def test_a_key_over_its_limit_gets_429(client, admin):
    key = make_key(client, admin, ["contacts:read"], rate_limit_per_minute=3)
    codes = [client.get("/api/v1/contacts", headers=bearer(key)).status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]
    other = make_key(client, admin, ["contacts:read"])
    assert client.get("/api/v1/contacts", headers=bearer(other)).status_code == 200


def test_people_keep_their_roles_on_scoped_routes(client, admin, conversation_id):
    make_user("ads@shop.test", role="marketer")
    marketer = token_for(client, "ads@shop.test")
    assert client.get("/api/v1/contacts", headers=marketer).status_code == 200
    assert client.post(f"/api/v1/conversations/{conversation_id}/messages", json={"text": "hi"},
                       headers=marketer).status_code == 403
    assert client.post(f"/api/v1/conversations/{conversation_id}/messages", json={"text": "hi"},
                       headers=admin).status_code == 202


def test_openapi_documents_the_key_scheme_and_scopes(client, admin):
    spec = client.get("/openapi.json", headers=admin).json()
    scheme = spec["components"]["securitySchemes"]["ApiKey"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer" and "messages:send" in scheme["description"]
    reply = spec["paths"]["/api/v1/conversations/{conversation_id}/messages"]["post"]
    assert {"ApiKey": ["messages:send"]} in reply["security"]
    assert "/api/v1/api-keys/{key_id}" in spec["paths"]
