"""Core events reach listeners only after the outermost commit: never from a savepoint, never after a rollback."""

from __future__ import annotations

from hub.contacts.models import Contact
from hub.runtime import events
from hub.runtime.db import session_scope


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
