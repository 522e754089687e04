"""Core events reach listeners only after the outermost commit: never from a savepoint, never after a rollback."""

from __future__ import annotations

import logging

from hub.composition import wire
from hub.contacts.models import Contact
from hub.runtime import broker, events, queues
from hub.runtime.db import session_scope
from hub.runtime.settings import get_settings


def noop(*args: object) -> None:
    """A job's function (the queue stores its dotted name)."""


DONE: list[int] = []


def refuse_seven(item: int) -> None:
    """A batch's item: 7 fails (its database row is locked, say), the others are done."""
    if item == 7:
        raise RuntimeError("seven is refused")
    DONE.append(item)


def test_a_released_savepoint_does_not_deliver_and_the_outer_commit_does(backend):
    got: list[dict] = []
    events.subscribe("test.thing", lambda event: got.append(event.data))
    with session_scope() as session:
        session.add(Contact(name="陳大文"))
        with session.begin_nested():
            events.emit(session, "test.thing", n=1)
        assert got == []  # a listener here would see (and could lock against) an open transaction
        session.flush()
    assert got == [{"n": 1}]


def test_a_rolled_back_transaction_delivers_nothing(backend):
    got: list[dict] = []
    events.subscribe("test.thing", lambda event: got.append(event.data))
    try:
        with session_scope() as session:
            session.add(Contact(name="山田太郎"))
            events.emit(session, "test.thing", n=2)
            session.flush()
            raise RuntimeError("the job died")
    except RuntimeError:
        pass
    assert got == []


def queue_one_job_per_event(event: events.Event) -> None:
    broker.enqueue(queues.INBOUND, noop, event.data["n"])


def queue_one_job_per_commit(batch: list[events.Event]) -> None:
    broker.enqueue(queues.REPORTS, noop, [event.data["n"] for event in batch])


def test_every_job_a_commits_listeners_queue_is_in_its_queue_in_order_with_its_retries(backend):
    wire()  # as the API and the worker are: the listeners' jobs go to Redis together, after the last listener
    events.subscribe("test.thing", queue_one_job_per_event)
    events.subscribe_batch("test.thing", queue_one_job_per_commit)
    with session_scope() as session:
        session.add(Contact(name="王小明"))
        for n in range(3):
            events.emit(session, "test.thing", n=n)
    inbound = broker.queue(queues.INBOUND).get_jobs()
    assert [job.args for job in inbound] == [(0,), (1,), (2,)]
    assert {job.retries_left for job in inbound} == {len(broker.RETRY_INTERVALS)}
    assert [job.args for job in broker.queue(queues.REPORTS).get_jobs()] == [([0, 1, 2],)]
    assert inbound[0].perform() is None  # the stored job runs


def test_a_commit_stands_when_redis_cannot_take_its_listeners_jobs(backend, monkeypatch, caplog):
    wire()
    events.subscribe("test.thing", queue_one_job_per_event)
    monkeypatch.setenv("HUB_REDIS_URL", "redis://127.0.0.1:1/0")
    get_settings.cache_clear()
    broker.reset()
    with caplog.at_level(logging.WARNING, logger="hub.runtime.broker"), session_scope() as session:
        session.add(Contact(name="佐藤花子"))
        events.emit(session, "test.thing", n=7)
    with session_scope() as session:  # the sweepers re-enqueue from the database's rows
        assert session.query(Contact).filter(Contact.name == "佐藤花子").count() == 1
    assert "could not enqueue 1 jobs" in caplog.text


def test_a_batch_job_queues_an_item_that_fails_on_its_own_and_does_not_redo_the_others(backend, caplog):
    DONE.clear()
    broker.enqueue_each(queues.INBOUND, noop, list(range(broker.BATCH + 1)))
    assert [len(job.args[0]) for job in broker.queue(queues.INBOUND).get_jobs()] == [broker.BATCH, 1]
    with caplog.at_level(logging.ERROR, logger="hub.runtime.broker"):
        assert broker.each(queues.INBOUND, refuse_seven, [5, 7, 9]) == "2 done, 1 queued again"
    assert DONE == [5, 9] and "refuse_seven(7) failed" in caplog.text
    alone = [job for job in broker.queue(queues.INBOUND).get_jobs() if job.func_name.endswith("refuse_seven")]
    assert [job.args for job in alone] == [(7,)] and alone[0].retries_left == len(broker.RETRY_INTERVALS)
