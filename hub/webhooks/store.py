"""The hot path of every webhook: one INSERT of the raw body, committed before Hub answers.

PostgreSQL goes through psycopg's async pool at the driver level (the ORM would cost 3x here,
see PERFORMANCE.md); SQLite goes through SQLAlchemy Core in a thread.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from sqlalchemy.engine import Engine
from sqlmodel import col
from starlette.concurrency import run_in_threadpool

from hub.runtime import dialect_insert
from hub.runtime.db import utcnow
from hub.runtime.inbox import RawEvent

INSERT = (
    "WITH fresh AS (INSERT INTO webhook_event_key (provider, channel_id, event_id, id, received_at) "
    "VALUES (%(provider)s, %(channel_id)s, %(event_id)s, nextval('webhook_event_id_seq'), %(received_at)s) "
    "ON CONFLICT DO NOTHING RETURNING id, received_at) "
    "INSERT INTO webhook_event (id, provider, channel_id, endpoint, event_id, body, received_at, attempts) "
    "SELECT id, %(provider)s, %(channel_id)s, %(endpoint)s, %(event_id)s, %(body)s, received_at, 0 FROM fresh "
    "RETURNING id"
)
"""PostgreSQL's webhook_event is partitioned by month and cannot be unique on the provider's id: the key goes
into webhook_event_key in the same statement (one transaction), and the event only when its key was new."""


class RawEventStore(Protocol):
    async def open(self) -> None: ...

    async def add(self, provider: str, channel_id: int, endpoint: str, event_id: str, body: bytes) -> int | None:
        """Store and commit one delivery; the new row's id, or None when it was stored before."""
        ...

    async def close(self) -> None: ...


class PostgresEventStore:
    """The psycopg pool, bounded in time: a webhook waits at most `timeout` seconds for PostgreSQL (the pool's
    default 30 s is past Twilio's 15 s), then the route answers 503 and the provider retries."""

    def __init__(self, sqlalchemy_url: str, max_size: int = 16, timeout: float = 4.0) -> None:
        from psycopg_pool import AsyncConnectionPool

        conninfo = sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1)
        self._timeout = timeout
        self._pool = AsyncConnectionPool(
            conninfo, min_size=2, max_size=max_size, open=False, timeout=timeout, reconnect_timeout=timeout,
            kwargs={"autocommit": True, "connect_timeout": max(1, int(timeout))},
        )
        self._sql = INSERT

    async def open(self) -> None:
        await self._pool.open(wait=False)

    async def add(self, provider: str, channel_id: int, endpoint: str, event_id: str, body: bytes) -> int | None:
        values = {"provider": provider, "channel_id": channel_id, "endpoint": endpoint, "event_id": event_id,
                  "body": body, "received_at": utcnow()}
        return await asyncio.wait_for(self._add(values), self._timeout)

    async def _add(self, values: dict[str, object]) -> int | None:
        import psycopg

        for attempt in (1, 2):
            try:
                async with self._pool.connection() as conn:
                    cursor = await conn.execute(self._sql, values)
                    row = await cursor.fetchone()
                return int(row[0]) if row else None
            except psycopg.OperationalError:
                # a pooled connection that died with a restarted server fails once; the pool drops it
                # and a fresh one is tried (the insert is idempotent: the key's ON CONFLICT DO NOTHING)
                if attempt == 2:
                    raise
        return None

    async def close(self) -> None:
        await self._pool.close()


class SqlEventStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sql = (
            dialect_insert("sqlite", RawEvent)
            .on_conflict_do_nothing(index_elements=["provider", "channel_id", "event_id"])
            .returning(col(RawEvent.id))
        )

    async def open(self) -> None:
        return None

    def _add(self, values: dict[str, object]) -> int | None:
        with self._engine.begin() as conn:
            row = conn.execute(self._sql, values).first()
        return int(row[0]) if row and row[0] is not None else None

    async def add(self, provider: str, channel_id: int, endpoint: str, event_id: str, body: bytes) -> int | None:
        values: dict[str, object] = {
            "provider": provider, "channel_id": channel_id, "endpoint": endpoint, "event_id": event_id,
            "body": body, "received_at": utcnow(), "attempts": 0,
        }
        return await run_in_threadpool(self._add, values)

    async def close(self) -> None:
        return None


def store_for(url: str, engine: Engine) -> RawEventStore:
    if url.startswith("postgresql"):
        from hub.runtime.settings import get_settings

        return PostgresEventStore(url, timeout=get_settings().db_timeout)
    return SqlEventStore(engine)
