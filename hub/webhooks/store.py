"""The hot path of every webhook: one INSERT of the raw body, committed before Hub answers.

PostgreSQL goes through psycopg's async pool at the driver level (the ORM would cost 3x here,
see PERFORMANCE.md); SQLite goes through SQLAlchemy Core in a thread.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Engine
from sqlmodel import col
from starlette.concurrency import run_in_threadpool

from hub.db import utcnow
from hub.webhooks.models import WebhookEvent

INSERT = (
    "INSERT INTO webhook_event (provider, channel_id, endpoint, event_id, body, received_at, attempts) "
    "VALUES ({p}, {p}, {p}, {p}, {p}, {p}, 0) "
    "ON CONFLICT (provider, channel_id, event_id) DO NOTHING RETURNING id"
)


class RawEventStore(Protocol):
    async def open(self) -> None: ...

    async def add(self, provider: str, channel_id: int, endpoint: str, event_id: str, body: bytes) -> int | None:
        """Store and commit one delivery; the new row's id, or None when it was stored before."""
        ...

    async def close(self) -> None: ...


class PostgresEventStore:
    def __init__(self, sqlalchemy_url: str, max_size: int = 16) -> None:
        from psycopg_pool import AsyncConnectionPool

        conninfo = sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1)
        self._pool = AsyncConnectionPool(
            conninfo, min_size=2, max_size=max_size, open=False, kwargs={"autocommit": True}
        )
        self._sql = INSERT.format(p="%s")

    async def open(self) -> None:
        await self._pool.open(wait=False)

    async def add(self, provider: str, channel_id: int, endpoint: str, event_id: str, body: bytes) -> int | None:
        async with self._pool.connection() as conn:
            cursor = await conn.execute(self._sql, (provider, channel_id, endpoint, event_id, body, utcnow()))
            row = await cursor.fetchone()
        return int(row[0]) if row else None

    async def close(self) -> None:
        await self._pool.close()


class SqlEventStore:
    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._sql = (
            sqlite_insert(WebhookEvent)
            .on_conflict_do_nothing(index_elements=["provider", "channel_id", "event_id"])
            .returning(col(WebhookEvent.id))
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
        return PostgresEventStore(url)
    return SqlEventStore(engine)
