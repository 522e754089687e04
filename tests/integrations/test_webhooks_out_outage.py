"""Outgoing webhooks through a database outage (both found by the chaos run, bench/chaos.py, restarting PostgreSQL
for real): a delivery job that found the database down is run again when it is back, not left until the
sweepers' hold on its slot ends minutes later; an answer that arrives while the database is down is recorded
once it is back, not lost and the event posted a second time when the lease ends."""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlmodel import select

from hub import composition
from hub.ingest.service import receive
from hub.jobs import scheduled
from hub.jobs.worker import HubWorker
from hub.runtime import broker, db, queues
from hub.runtime.db import session_scope, utcnow
from hub.runtime.settings import get_settings
from hub.webhooks_out import delivery, service
from hub.webhooks_out.events import EventType
from hub.webhooks_out.models import WebhookDelivery
from tests.conftest import wait_for
from tests.factories import inbound, make_channel
from tests.integrations.receiver import Receiver

NOBODY_LISTENS = "postgresql+psycopg://postgres@127.0.0.1:1/hub"


def work_once() -> None:
    """What a worker of the webhooks-out pool does in a second: move the due retries, run what is queued."""
    scheduled.move_due(queues.WEBHOOKS_OUT, "test")
    HubWorker([broker.queue(queues.WEBHOOKS_OUT)], connection=broker.connection()).work(burst=True)


def use_database(monkeypatch, url: str) -> None:
    monkeypatch.setenv("HUB_DATABASE_URL", url)
    get_settings.cache_clear()
    db.reset_engines()


def one_delivery(url: str, provider_id: str) -> WebhookDelivery:
    """An endpoint hearing `message.received`, and the delivery a customer's message makes for it."""
    with session_scope() as session:
        service.create(session=session, actor_id=None, url=url, event_types=[EventType.message_received])
    channel_id = make_channel("whatsapp_meta", "WA").id
    with session_scope() as session:
        receive(session=session, channel_id=channel_id, inbound=inbound(provider_id, "+85291110000"))
    with session_scope() as session:
        (row,) = session.exec(select(WebhookDelivery)).all()
        return row


def test_a_delivery_whose_job_met_the_database_down_is_sent_once_it_is_back(pg_backend, monkeypatch):
    composition.wire()  # the outbox hook, as in the API and the workers
    with Receiver() as shop:
        row = one_delivery(shop.url, "wamid.DOWN1")
        service.sweep()  # queued, as the outbox's listener or any sweeper does

        use_database(monkeypatch, NOBODY_LISTENS)  # PostgreSQL restarting: no connections
        HubWorker([broker.queue(queues.WEBHOOKS_OUT)], connection=broker.connection()).work(burst=True)
        assert shop.requests == []

        use_database(monkeypatch, pg_backend.database_url)  # back
        service.sweep()  # the sweepers run every 5 s; their hold on the slot is 5 minutes

        def delivered() -> bool:
            work_once()
            with session_scope() as session:
                return session.get(WebhookDelivery, row.id).status == "delivered"

        wait_for(delivered)
    assert len(shop.requests) == 1


def test_an_answer_that_came_while_the_database_was_down_is_recorded_and_not_posted_again(pg_backend, monkeypatch):
    composition.wire()

    def database_restarts() -> None:  # the POST has arrived; its answer will find no database for a second
        use_database(monkeypatch, NOBODY_LISTENS)
        threading.Timer(1.0, use_database, (monkeypatch, pg_backend.database_url)).start()

    with Receiver(on_request=database_restarts) as shop:
        row = one_delivery(shop.url, "wamid.DOWN2")

        assert delivery.deliver(row.id) == "delivered"
        later = utcnow() + delivery.LEASE + timedelta(minutes=1)  # past the lease a lost answer would leave
        with session_scope() as session:
            assert service.due_ids(session=session, now=later) == []
            assert session.get(WebhookDelivery, row.id).status == "delivered"
    assert len(shop.requests) == 1
