"""Webhooks answer 2xx only once the raw event is stored; processing happens in a job."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from hub.composition import create_app
from hub.conversations.models import Message
from hub.jobs.tasks import drain_inbound
from hub.jobs.worker import HubWorker
from hub.runtime import broker
from hub.runtime.db import session_scope
from hub.webhooks.models import WebhookEvent
from tests.conftest import wait_for
from tests.factories import make_channel, telegram_headers, telegram_update


@pytest.fixture
def client(backend):
    with TestClient(create_app()) as test_client:
        yield test_client


def stored_events() -> list[WebhookEvent]:
    with session_scope() as session:
        return list(session.exec(select(WebhookEvent)))


def messages() -> list[Message]:
    with session_scope() as session:
        return list(session.exec(select(Message).order_by(Message.id)))


def run_worker_until_idle() -> None:
    """Wait for the drain job the webhook schedules (within a few ms), then run a worker until idle."""
    wait_for(lambda: broker.queue("inbound").count > 0, timeout=5)
    worker = HubWorker([broker.queue(name) for name in broker.QUEUES], connection=broker.connection())
    worker.work(burst=True)


def test_a_signed_update_is_stored_then_processed_by_the_worker(client):
    channel = make_channel("telegram")
    answer = client.post(f"/webhooks/telegram/{channel.id}", content=telegram_update(1001),
                         headers=telegram_headers(channel.id))
    assert answer.status_code == 200
    [event] = stored_events()
    assert (event.provider, event.event_id, event.processed_at) == ("telegram", "1001", None)
    assert messages() == []  # the request only stored it
    run_worker_until_idle()
    [message] = messages()
    assert message.text == "このジャケットのMサイズは在庫ありますか"
    assert message.direction == "inbound" and message.status == "received"
    assert stored_events()[0].processed_at is not None


def test_a_duplicate_delivery_changes_nothing(client):
    channel = make_channel("telegram")
    for _ in range(3):
        assert client.post(f"/webhooks/telegram/{channel.id}", content=telegram_update(7),
                           headers=telegram_headers(channel.id)).status_code == 200
    run_worker_until_idle()
    assert len(stored_events()) == 1
    assert len(messages()) == 1


@pytest.mark.parametrize("headers", [
    {"X-Telegram-Bot-Api-Secret-Token": "wrong"},
    {},
])
def test_a_bad_or_missing_secret_gets_403_and_nothing_is_stored(client, headers):
    channel = make_channel("telegram")
    answer = client.post(f"/webhooks/telegram/{channel.id}", content=telegram_update(1), headers=headers)
    assert answer.status_code == 403
    assert "signature" in answer.json()["detail"]
    assert stored_events() == []


def test_unknown_channels_get_404(client):
    channel = make_channel("telegram")
    assert client.post("/webhooks/telegram/999", content=b"{}").status_code == 404
    assert client.post("/webhooks/telegram/abc", content=b"{}").status_code == 404
    # the right id under another provider's path is unknown too
    assert client.post(f"/webhooks/meta/{channel.id}", content=b"{}").status_code == 404


def test_a_malformed_body_gets_400_with_a_reason(client):
    channel = make_channel("telegram")
    answer = client.post(f"/webhooks/telegram/{channel.id}", content=b"{not json",
                         headers=telegram_headers(channel.id))
    assert answer.status_code == 400
    assert answer.json()["detail"].startswith("malformed body")
    assert stored_events() == []


def test_a_body_over_one_mebibyte_is_refused_before_parsing(client):
    channel = make_channel("telegram")
    answer = client.post(f"/webhooks/telegram/{channel.id}", content=b"x" * (1024 * 1024 + 1),
                         headers=telegram_headers(channel.id))
    assert answer.status_code == 413
    assert stored_events() == []


def test_an_event_stored_while_redis_lost_its_jobs_is_processed_by_the_sweeper(client):
    from datetime import timedelta

    from hub.composition import sweep_inbox
    from hub.runtime.db import utcnow

    channel = make_channel("telegram")
    client.post(f"/webhooks/telegram/{channel.id}", content=telegram_update(5), headers=telegram_headers(channel.id))
    wait_for(lambda: broker.queue("inbound").count > 0, timeout=5)
    broker.connection().flushdb()  # every queued job is gone
    with session_scope() as session:
        event = session.exec(select(WebhookEvent)).one()
        event.received_at = utcnow() - timedelta(minutes=1)
        session.add(event)
    assert sweep_inbox() == 1
    run_worker_until_idle()  # the sweeper scheduled a new drain
    assert len(messages()) == 1


def test_drain_is_idempotent(client):
    channel = make_channel("telegram")
    client.post(f"/webhooks/telegram/{channel.id}", content=telegram_update(9), headers=telegram_headers(channel.id))
    assert drain_inbound() == 1
    assert drain_inbound() == 0
    assert len(messages()) == 1
