"""Group commit of webhook deliveries (`hub.webhooks.store`): concurrent deliveries share one transaction; each
is answered only once its batch is committed; a batch that fails fails every delivery in it and stores none.

The failure is real: a trigger in the database refuses the event id `poison`, so its whole transaction rolls back.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlmodel import select

from hub.composition import create_app
from hub.runtime.db import get_engine, session_scope
from hub.runtime.settings import get_settings
from hub.webhooks.models import WebhookEvent
from hub.webhooks.store import GroupCommit, PostgresEventStore, RawEventStore, SqlEventStore, store_for
from tests.factories import make_channel, telegram_headers, telegram_update


def _triggers(backend, event_id: str) -> tuple[list[str], list[str]]:
    """Statements that make the database refuse webhook events with this id, and those that undo it."""
    if backend.is_postgres:
        return ([f"CREATE OR REPLACE FUNCTION refuse_poison() RETURNS trigger AS $$ BEGIN IF NEW.event_id = "
                 f"'{event_id}' THEN RAISE EXCEPTION 'poisoned event'; END IF; RETURN NEW; END $$ LANGUAGE plpgsql",
                 "CREATE TRIGGER refuse_poison BEFORE INSERT ON webhook_event FOR EACH ROW "
                 "EXECUTE FUNCTION refuse_poison()"],
                ["DROP TRIGGER IF EXISTS refuse_poison ON webhook_event", "DROP FUNCTION IF EXISTS refuse_poison()"])
    return ([f"CREATE TRIGGER refuse_poison BEFORE INSERT ON webhook_event WHEN NEW.event_id = '{event_id}' "
             "BEGIN SELECT RAISE(ABORT, 'poisoned event'); END"], ["DROP TRIGGER IF EXISTS refuse_poison"])


def _run(statements: list[str]) -> None:
    with get_engine().begin() as conn:
        for statement in statements:
            conn.execute(text(statement))


@contextmanager
def refused(backend, event_id: str) -> Iterator[None]:
    """The database refuses any webhook event with this id (the schema outlives the test on PostgreSQL: the
    trigger is dropped after it)."""
    make, undo = _triggers(backend, event_id)
    _run(make)
    try:
        yield
    finally:
        _run(undo)


def stored() -> dict[str, bytes]:
    with session_scope() as session:
        return {event.event_id: event.body for event in session.exec(select(WebhookEvent))}


def make_store(backend, max_batch: int = 256) -> RawEventStore:
    settings = get_settings()
    if backend.is_postgres:
        return PostgresEventStore(settings.database_url, timeout=settings.db_timeout, max_batch=max_batch)
    return SqlEventStore(get_engine(), max_batch=max_batch)


async def _add_all(store: RawEventStore, event_ids: list[str]) -> list[int | None | BaseException]:
    await store.open()
    try:
        return await asyncio.gather(*(store.add("telegram", 1, "", event_id, f"body {event_id}".encode())
                                      for event_id in event_ids), return_exceptions=True)
    finally:
        await store.close()


def test_concurrent_deliveries_are_each_stored_once_and_each_told_whether_it_was_new(backend):
    asyncio.run(_add_all(make_store(backend), ["a0"]))  # stored before: a retry of it now is a duplicate
    event_ids = [f"a{n % 10}" for n in range(30)]  # ten events, each delivered three times at once

    answers = asyncio.run(_add_all(make_store(backend), event_ids))

    assert not [answer for answer in answers if isinstance(answer, BaseException)]
    new = {event_id for event_id, answer in zip(event_ids, answers, strict=True) if answer is not None}
    assert new == {f"a{n}" for n in range(1, 10)}  # each new event once, a0 not again
    assert len([answer for answer in answers if answer is not None]) == 9
    assert stored() == {f"a{n}": f"body a{n}".encode() for n in range(10)}


def test_a_failing_batch_fails_every_delivery_in_it_and_stores_none_of_them(backend):
    # batches of five, cut in arrival order: the second batch holds the poisoned event
    event_ids = [f"b{n}" for n in range(15)]
    event_ids[7] = "poison"

    with refused(backend, "poison"):
        answers = asyncio.run(_add_all(make_store(backend, max_batch=5), event_ids))

    failed = [event_id for event_id, answer in zip(event_ids, answers, strict=True)
              if isinstance(answer, Exception)]
    assert failed == ["b5", "b6", "poison", "b8", "b9"]  # all of its batch, and only its batch
    assert "poisoned event" in str(answers[7])
    assert sorted(stored()) == sorted(["b0", "b1", "b2", "b3", "b4", "b10", "b11", "b12", "b13", "b14"])

    retried = asyncio.run(_add_all(make_store(backend), ["b5", "b6", "b8", "b9", "b0"]))  # the providers retry
    assert [answer is not None for answer in retried] == [True, True, True, True, False]
    assert "b5" in stored() and "poison" not in stored()


@pytest.fixture
def client(backend):
    with TestClient(create_app()) as test_client:
        yield test_client


def test_webhooks_posted_at_once_are_all_acknowledged_and_stored_once(client):
    channel = make_channel("telegram")
    answers: list[int] = []

    def post(update_id: int) -> None:
        answer = client.post(f"/webhooks/telegram/{channel.id}", content=telegram_update(update_id),
                             headers=telegram_headers(channel.id))
        answers.append(answer.status_code)

    threads = [threading.Thread(target=post, args=(100 + n % 12,)) for n in range(36)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert answers == [200] * 36
    assert sorted(stored()) == sorted(str(100 + n) for n in range(12))


def test_a_webhook_whose_batch_fails_gets_503_and_nothing_stored_and_its_retry_is_stored(client, backend):
    channel = make_channel("telegram")
    body = telegram_update(4242)
    with refused(backend, "4242"):
        answer = client.post(f"/webhooks/telegram/{channel.id}", content=body, headers=telegram_headers(channel.id))
        assert answer.status_code == 503
        assert answer.headers["Retry-After"]
        assert stored() == {}
    retry = client.post(f"/webhooks/telegram/{channel.id}", content=body, headers=telegram_headers(channel.id))
    assert retry.status_code == 200
    assert stored() == {"4242": body}


def test_the_store_follows_the_database(backend):
    store = store_for(get_settings().database_url, get_engine())
    assert isinstance(store, PostgresEventStore if backend.is_postgres else SqlEventStore)


def test_a_delivery_that_arrives_as_the_last_batch_ends_is_written_not_left_waiting():
    """A writer that has found the queue empty no longer counts as one: a delivery queued in that same turn of the
    event loop starts its own (before, with one writer allowed, it waited until the next delivery or its
    timeout: a 503 on a quiet shop)."""
    async def scenario() -> list[int | None]:
        arrived = asyncio.Event()

        async def write(rows: list) -> list[int | None]:
            arrived.set()  # the second delivery is ready to run in the same turn as this batch ends
            return [len(row[3]) for row in rows]

        batches = GroupCommit(write, timeout=2.0, max_inflight=1)

        async def second() -> int | None:
            await arrived.wait()
            return await batches.add(("telegram", 1, "updates", "second", b"{}", datetime.now(UTC)))

        later = asyncio.create_task(second())
        first = await batches.add(("telegram", 1, "updates", "one", b"{}", datetime.now(UTC)))
        return [first, await later]

    assert asyncio.run(scenario()) == [3, 6]
