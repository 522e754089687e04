"""Outgoing webhooks: the outbox commits with the change, deliveries are signed (Standard Webhooks), retried
on the schedule, logged, replayable, refused for internal addresses, and a dead endpoint is disabled."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session, select
from standardwebhooks import Webhook

from hub.audit.models import AuditEntry
from hub.composition import create_app
from hub.conversations.models import Message
from hub.ingest.service import receive
from hub.runtime.db import as_utc, get_engine, session_scope, utcnow
from hub.runtime.settings import get_settings
from hub.webhooks_out import delivery, service
from hub.webhooks_out.models import WebhookDelivery, WebhookEndpoint
from tests.factories import inbound, make_channel, make_user, token_for
from tests.integrations.receiver import Receiver


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
def channel_id(backend):
    return make_channel("whatsapp_meta", "WA").id


def subscribe(client, admin, url, events=("message.received",)):
    answer = client.post("/api/v1/webhook-endpoints", json={"url": url, "event_types": list(events)}, headers=admin)
    assert answer.status_code == 201, answer.text
    return answer.json()


def customer_writes(channel_id, provider_id, text="M 碼有貨嗎？"):
    with session_scope() as session:
        return receive(session=session, channel_id=channel_id, inbound=inbound(provider_id, "+85291110000", text))


def deliveries():
    with session_scope() as session:
        return session.exec(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()


def run_due(now):
    """What the sweeper's jobs do at `now` (the controlled clock): each due delivery's attempt."""
    with session_scope() as session:
        ids = service.due_ids(session=session, now=now)
    return [delivery.deliver(i, now=now) for i in ids]


def test_an_endpoint_failing_five_times_gets_each_event_once_signed(client, admin, channel_id):
    with Receiver(failures=5) as shop:
        endpoint = subscribe(client, admin, shop.url)
        assert endpoint["secret"].startswith("whsec_")
        received = customer_writes(channel_id, "wamid.W1")
        (row,) = deliveries()
        clock = as_utc(row.created_at)
        outcomes = []
        for _ in range(6):
            assert delivery.deliver(row.id, now=clock - timedelta(seconds=1)) in ("not due", "done")
            outcomes += run_due(clock)
            assert run_due(clock) == []  # the same slot is not sent twice
            with session_scope() as session:
                pending = session.get(WebhookDelivery, row.id)
                if pending.next_attempt_at is not None:
                    clock = as_utc(pending.next_attempt_at)
        assert outcomes == ["failed"] * 5 + ["delivered"]
    assert [code for _, _, code in shop.requests] == [500] * 5 + [200]
    ids = {headers["webhook-id"] for headers, _, _ in shop.requests}
    assert ids == {row.message_id}
    for headers, body, _ in shop.requests:  # the receiver's own check, with the secret Hub showed
        event = Webhook(endpoint["secret"]).verify(body, headers)
        assert event["type"] == "message.received"
        assert event["data"]["message_id"] == received.id
    log = client.get(f"/api/v1/webhook-endpoints/{endpoint['id']}/deliveries", headers=admin).json()
    assert len(log) == 1 and log[0]["status"] == "delivered" and log[0]["attempts"] == 6
    attempts = log[0]["attempt_log"]
    assert [a["status_code"] for a in attempts] == [500] * 5 + [200]
    assert "database busy" in attempts[0]["response_excerpt"] and attempts[-1]["latency_ms"] >= 0
    started = [as_utc(datetime.fromisoformat(a["started_at"].replace("Z", "+00:00"))) for a in attempts]
    gaps = [later - earlier for earlier, later in zip(started, started[1:], strict=False)]
    assert gaps == [timedelta(seconds=5), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2),
                    timedelta(hours=5)]


def test_a_replay_sends_the_event_again_under_a_new_id(client, admin, channel_id):
    with Receiver() as shop:
        endpoint = subscribe(client, admin, shop.url)
        customer_writes(channel_id, "wamid.R1")
        assert run_due(utcnow()) == ["delivered"]
        (first,) = deliveries()
        agent = token_for(client, "ann@shop.test")
        assert client.post(f"/api/v1/webhook-deliveries/{first.id}/replay", headers=agent).status_code == 403
        replayed = client.post(f"/api/v1/webhook-deliveries/{first.id}/replay", headers=admin)
        assert replayed.status_code == 202 and replayed.json()["replay_of_id"] == first.id
        assert run_due(utcnow()) == ["delivered"]
    (one, _), (two, _) = [(json.loads(body), headers) for headers, body, _ in shop.requests]
    assert one == two
    assert shop.requests[0][0]["webhook-id"] != shop.requests[1][0]["webhook-id"]
    with session_scope() as session:
        assert session.exec(select(AuditEntry).where(AuditEntry.action == "webhook_delivery.replayed")).one()
    assert client.post("/api/v1/webhook-deliveries/999/replay", headers=admin).status_code == 404
    assert endpoint["id"]


def test_internal_addresses_are_refused_when_saved_and_when_sent(client, admin, channel_id, monkeypatch):
    with Receiver() as shop:
        endpoint = subscribe(client, admin, shop.url)  # allowed while HUB_ALLOW_PRIVATE_URLS is on (tests' fakes)
        monkeypatch.setenv("HUB_ALLOW_PRIVATE_URLS", "false")
        get_settings.cache_clear()
        for url in ("http://127.0.0.1:9/hook", "http://169.254.169.254/latest/meta-data", "http://localhost/x",
                    "ftp://example.com/x"):
            refused = client.post("/api/v1/webhook-endpoints", json={"url": url, "event_types": ["order.paid"]},
                                  headers=admin)
            assert refused.status_code == 422, url
        patched = client.patch(f"/api/v1/webhook-endpoints/{endpoint['id']}",
                               json={"url": "http://169.254.169.254/latest"}, headers=admin)
        assert patched.status_code == 422
        customer_writes(channel_id, "wamid.B1")
        assert run_due(utcnow()) == ["failed"]
    assert shop.requests == []
    (row,) = deliveries()
    assert row.last_error.startswith("refused: ") and "127.0.0.1" in row.last_error


def test_the_outbox_row_commits_with_the_change_or_not_at_all(client, admin, channel_id):
    subscribe(client, admin, "https://erp.example.com/hook", events=("message.received", "conversation.opened"))
    with Session(get_engine()) as session:
        receive(session=session, channel_id=channel_id, inbound=inbound("wamid.T1", "+85291110000", "hello"))
        session.rollback()
    with session_scope() as session:
        assert session.exec(select(Message)).all() == []
    assert deliveries() == []
    customer_writes(channel_id, "wamid.T2")
    assert sorted(row.event_type for row in deliveries()) == ["conversation.opened", "message.received"]


def test_a_dead_endpoint_is_disabled_and_the_admins_told(client, admin, channel_id):
    with Receiver(failures=10_000) as shop:
        endpoint = subscribe(client, admin, shop.url)
        customer_writes(channel_id, "wamid.D1")
        (row,) = deliveries()
        clock = as_utc(row.created_at)
        while True:
            run_due(clock)
            with session_scope() as session:
                current = session.get(WebhookDelivery, row.id)
            if current.status != "pending":
                break
            clock = as_utc(current.next_attempt_at)
        assert current.status == "failed" and clock - as_utc(row.created_at) <= timedelta(days=3)
        assert client.get("/api/v1/webhook-endpoints", headers=admin).json()[0]["enabled"] is True
        customer_writes(channel_id, "wamid.D2", "還在嗎？")
        assert run_due(as_utc(row.created_at) + timedelta(days=3, hours=1)) == ["failed"]
    shown = client.get("/api/v1/webhook-endpoints", headers=admin).json()[0]
    assert shown["enabled"] is False and "failed since" in shown["disabled_reason"]
    with session_scope() as session:
        assert session.exec(select(AuditEntry).where(AuditEntry.action == "webhook_endpoint.disabled")).one()
    customer_writes(channel_id, "wamid.D3", "喂？")
    assert len(deliveries()) == 2  # a disabled endpoint gets nothing new
    enabled = client.patch(f"/api/v1/webhook-endpoints/{endpoint['id']}", json={"enabled": True}, headers=admin)
    assert enabled.json()["enabled"] is True and enabled.json()["disabled_reason"] is None


def test_endpoints_are_for_admins(client, admin):
    agent = token_for(client, "ann@shop.test")
    body = {"url": "https://erp.example.com/hook", "event_types": ["order.paid"]}
    assert client.post("/api/v1/webhook-endpoints", json=body, headers=agent).status_code == 403
    assert client.get("/api/v1/webhook-endpoints", headers=agent).status_code == 403
    made = client.post("/api/v1/webhook-endpoints", json=body, headers=admin).json()
    assert client.post("/api/v1/webhook-endpoints", json={**body, "event_types": ["nope"]},
                       headers=admin).status_code == 422
    assert client.delete(f"/api/v1/webhook-endpoints/{made['id']}", headers=agent).status_code == 403
    assert client.delete(f"/api/v1/webhook-endpoints/{made['id']}", headers=admin).status_code == 204
    with session_scope() as session:
        assert session.exec(select(WebhookEndpoint)).all() == []


def test_the_worker_delivers_a_committed_event_at_once(client, admin, channel_id):
    """No controlled clock here: the outbox's rows are queued after the commit and a worker sends them."""
    from hub.jobs.worker import HubWorker
    from hub.runtime import broker

    with Receiver() as shop:
        endpoint = subscribe(client, admin, shop.url)
        customer_writes(channel_id, "wamid.Q1")
        assert broker.queue("webhooks-out").count >= 1  # its own pool: slow endpoints wait apart from replies
        HubWorker([broker.queue(name) for name in broker.QUEUES], connection=broker.connection()).work(burst=True)
    assert len(shop.requests) == 1
    headers, body, _ = shop.requests[0]
    assert Webhook(endpoint["secret"]).verify(body, headers)["type"] == "message.received"
    assert [row.status for row in deliveries()] == ["delivered"]


def test_two_workers_on_one_slot_send_once(client, admin, channel_id, backend):
    import threading

    with Receiver() as shop:
        subscribe(client, admin, shop.url)
        customer_writes(channel_id, "wamid.C1")
        (row,) = deliveries()
        now, results = utcnow(), []
        threads = [threading.Thread(target=lambda: results.append(delivery.deliver(row.id, now=now)))
                   for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    assert sorted(results).count("delivered") == 1 and len(shop.requests) == 1
