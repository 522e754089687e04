"""Pooled PostgreSQL connections: one that sat idle is pinged when taken again and replaced if the server
dropped it; one taken again at once is not pinged (a round trip saved on each transaction of a busy process),
and if the server dropped it in between, one statement fails and the pool then starts afresh."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

from hub.runtime import db
from tests.conftest import Backend


def server_pid(engine) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.execute(text("SELECT pg_backend_pid()")).scalar_one())


def drop(url: str, pid: int) -> None:
    admin = db.make_engine(url)
    with admin.begin() as conn:
        assert conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar_one()
    admin.dispose()


def test_an_idle_connection_the_server_dropped_is_replaced_when_taken(pg_backend: Backend, monkeypatch) -> None:
    engine = db.make_engine(pg_backend.database_url, pool_size=1, max_overflow=0)
    first = server_pid(engine)
    drop(pg_backend.database_url, first)
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.0)  # it has sat idle long enough
    assert server_pid(engine) != first  # no error: the ping found it dead and the pool connected again
    engine.dispose()


def test_a_connection_taken_again_at_once_is_not_pinged(pg_backend: Backend, monkeypatch) -> None:
    engine = db.make_engine(pg_backend.database_url, pool_size=1, max_overflow=0)
    first = server_pid(engine)
    drop(pg_backend.database_url, first)
    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 3600.0)
    with pytest.raises(OperationalError):  # the statement meets the dropped connection
        server_pid(engine)
    assert server_pid(engine) != first  # and the pool has started afresh
    engine.dispose()
