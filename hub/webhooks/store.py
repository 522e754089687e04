"""The hot path of every webhook: the raw body stored and committed before Hub answers.

Group commit: the deliveries that arrive while a write is in flight are written together, in one
statement and one transaction (one commit, one fsync), by `GroupCommit`. Each request awaits its own
batch's commit before it is answered, so a 2xx still means "stored"; a batch that fails fails every
request in it (they answer 503 and the providers retry) and, being one transaction, stores none of them.
Batches grow with the load on their own: the first delivery of a quiet moment is written alone, at
once; under load a batch is whatever queued while the previous writes were in flight.

PostgreSQL goes through psycopg's async pool at the driver level, one `INSERT ... SELECT FROM unnest`
per batch (the ORM would cost 3x here, see PERFORMANCE.md); SQLite goes through SQLAlchemy Core in a
thread, one transaction per batch (SQLite has one writer anyway).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.engine import Engine
from sqlmodel import col
from starlette.concurrency import run_in_threadpool

from hub.runtime import dialect_insert
from hub.runtime.db import utcnow
from hub.runtime.inbox import RawEvent

log = logging.getLogger(__name__)

Row = tuple[str, int, str, str, bytes, datetime]
"""One delivery: provider, channel id, endpoint, the provider's event id, body, when it arrived."""

Writer = Callable[[list[Row]], Awaitable[list[int | None]]]
"""Writes a batch in one transaction; for each row, its new id, or None when the event was stored before."""

INSERT_MANY = (
    "WITH batch AS (SELECT DISTINCT ON (provider, channel_id, event_id) * FROM unnest("
    "%b::varchar[], %b::int[], %b::varchar[], %b::varchar[], %b::bytea[], %b::timestamptz[]) "
    "AS delivery (provider, channel_id, endpoint, event_id, body, received_at) "
    "ORDER BY provider, channel_id, event_id), "
    "fresh AS (INSERT INTO webhook_event_key (provider, channel_id, event_id, id, received_at) "
    "SELECT provider, channel_id, event_id, nextval('webhook_event_id_seq'), received_at FROM batch "
    "ON CONFLICT DO NOTHING RETURNING id, provider, channel_id, event_id, received_at) "
    "INSERT INTO webhook_event (id, provider, channel_id, endpoint, event_id, body, received_at, attempts) "
    "SELECT fresh.id, fresh.provider, fresh.channel_id, batch.endpoint, fresh.event_id, batch.body, "
    "fresh.received_at, 0 FROM fresh JOIN batch USING (provider, channel_id, event_id) "
    "RETURNING id, provider, channel_id, event_id"
)
"""PostgreSQL's webhook_event is partitioned by month and cannot be unique on the provider's id: each event's
key goes into webhook_event_key in the same statement (one transaction), and the event only when its key was
new. A batch's repeats of one event are reduced to one first (the first stored wins, the others are
duplicates). The arrays go in binary (`%b`): the bodies as they are, not hex-escaped into text."""


class RawEventStore(Protocol):
    async def open(self) -> None: ...

    async def add(self, provider: str, channel_id: int, endpoint: str, event_id: str, body: bytes) -> int | None:
        """Store and commit one delivery; the new row's id, or None when it was stored before."""
        ...

    async def close(self) -> None: ...


def key(row: Row) -> tuple[str, int, str]:
    return row[0], row[1], row[3]


def ids_in_order(rows: list[Row], new: dict[tuple[str, int, str], int]) -> list[int | None]:
    """Each row's new id: the first of a batch's repeats of one event gets it, the others None (a duplicate)."""
    answers: list[int | None] = []
    for row in rows:
        answers.append(new.pop(key(row), None))
    return answers


def _retrieved(future: asyncio.Future[int | None]) -> None:
    # a request that gave up waiting (its timeout) leaves its future behind: mark its outcome as seen
    if not future.cancelled():
        future.exception()


class GroupCommit:
    """Concurrent deliveries written together: at most `max_inflight` batches are written at once, each of
    everything that queued meanwhile (up to `max_batch`); each caller gets its own row's outcome only once
    its batch is committed, or its batch's error."""

    def __init__(self, write: Writer, *, timeout: float, max_batch: int = 256, max_inflight: int = 2) -> None:
        self._write = write
        self._timeout = timeout
        self._max_batch = max_batch
        self._max_inflight = max_inflight
        self._queue: list[tuple[Row, asyncio.Future[int | None]]] = []
        self._writers: set[asyncio.Task[None]] = set()

    async def add(self, row: Row) -> int | None:
        future: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        future.add_done_callback(_retrieved)
        self._queue.append((row, future))
        if len(self._writers) < self._max_inflight:
            self._writers.add(asyncio.get_running_loop().create_task(self._drain()))
        # shielded: a caller that times out leaves its batch alone (the provider's retry is then a duplicate)
        return await asyncio.wait_for(asyncio.shield(future), self._timeout)

    async def _drain(self) -> None:
        try:
            await self._drain_queue()
        finally:  # in the same step as the queue was found empty: a delivery queued after it starts a writer
            self._writers.discard(asyncio.current_task())  # type: ignore[arg-type, unused-ignore]

    async def _drain_queue(self) -> None:
        while self._queue:
            batch = self._queue[:self._max_batch]
            del self._queue[:self._max_batch]
            try:
                ids = await self._write([row for row, _ in batch])
            except Exception as error:  # the whole batch failed, in one transaction: none of it is stored
                log.warning("a batch of %d webhook events could not be stored: %s", len(batch), error)
                for _, future in batch:
                    if not future.done():
                        future.set_exception(error)
                continue
            except BaseException:  # cancelled (shutting down): its callers answer 503, not hang
                for _, future in batch:
                    if not future.done():
                        future.set_exception(RuntimeError("the server stopped before the batch was stored"))
                raise
            for (_, future), row_id in zip(batch, ids, strict=True):
                if not future.done():
                    future.set_result(row_id)

    async def close(self) -> None:
        while self._writers:
            await asyncio.gather(*self._writers, return_exceptions=True)


class PostgresEventStore:
    """The psycopg pool, bounded in time: a webhook waits at most `timeout` seconds for PostgreSQL (the pool's
    default 30 s is past Twilio's 15 s), then the route answers 503 and the provider retries."""

    def __init__(self, sqlalchemy_url: str, max_size: int = 4, timeout: float = 4.0, pooled: bool = False,
                 max_batch: int = 256, max_inflight: int = 2) -> None:
        from psycopg_pool import AsyncConnectionPool

        conninfo = sqlalchemy_url.replace("postgresql+psycopg://", "postgresql://", 1)
        kwargs: dict[str, Any] = {"autocommit": True, "connect_timeout": max(1, int(timeout))}
        if pooled:  # behind PgBouncer in transaction mode: no server-side prepared statements (see hub.runtime.db)
            kwargs["prepare_threshold"] = None
        self._pool = AsyncConnectionPool(
            conninfo, min_size=min(2, max_size), max_size=max_size, open=False, timeout=timeout,
            reconnect_timeout=timeout, kwargs=kwargs,
        )
        self._batches = GroupCommit(self._write, timeout=timeout, max_batch=max_batch, max_inflight=max_inflight)

    async def open(self) -> None:
        await self._pool.open(wait=False)

    async def add(self, provider: str, channel_id: int, endpoint: str, event_id: str, body: bytes) -> int | None:
        return await self._batches.add((provider, channel_id, endpoint, event_id, body, utcnow()))

    async def _write(self, rows: list[Row]) -> list[int | None]:
        import psycopg

        ordered = sorted(rows, key=key)  # concurrent batches take the unique index's entries in one order
        columns = [list(values) for values in zip(*ordered, strict=True)]
        for attempt in (1, 2):
            try:
                async with self._pool.connection() as conn:  # autocommit: the one statement is the transaction
                    cursor = await conn.execute(INSERT_MANY, columns)
                    found = await cursor.fetchall()
                break
            except psycopg.OperationalError:
                # a pooled connection that died with a restarted server fails once; the pool drops it
                # and a fresh one is tried (the insert is idempotent: ON CONFLICT DO NOTHING)
                if attempt == 2:
                    raise
        return ids_in_order(rows, {(provider, channel, event): int(row_id)
                                   for row_id, provider, channel, event in found})

    async def close(self) -> None:
        await self._batches.close()
        await self._pool.close()


class SqlEventStore:
    """SQLite (and any other SQLAlchemy engine): a batch is one transaction in a thread."""

    def __init__(self, engine: Engine, timeout: float = 30.0, max_batch: int = 256) -> None:
        self._engine = engine
        self._sql = (
            dialect_insert("sqlite", RawEvent)
            .on_conflict_do_nothing(index_elements=["provider", "channel_id", "event_id"])
            .returning(col(RawEvent.id))
        )
        # one writer at a time: SQLite has one, and the others would only wait for its lock
        self._batches = GroupCommit(self._write, timeout=timeout, max_batch=max_batch, max_inflight=1)

    async def open(self) -> None:
        return None

    def _write_now(self, rows: list[Row]) -> list[int | None]:
        new: dict[tuple[str, int, str], int] = {}
        with self._engine.begin() as conn:
            for row in sorted(rows, key=key):
                provider, channel_id, endpoint, event_id, body, received_at = row
                found = conn.execute(self._sql, {
                    "provider": provider, "channel_id": channel_id, "endpoint": endpoint, "event_id": event_id,
                    "body": body, "received_at": received_at, "attempts": 0}).first()
                if found is not None and found[0] is not None:
                    new[key(row)] = int(found[0])
        return ids_in_order(rows, new)

    async def _write(self, rows: list[Row]) -> list[int | None]:
        return await run_in_threadpool(self._write_now, rows)

    async def add(self, provider: str, channel_id: int, endpoint: str, event_id: str, body: bytes) -> int | None:
        return await self._batches.add((provider, channel_id, endpoint, event_id, body, utcnow()))

    async def close(self) -> None:
        await self._batches.close()


def store_for(url: str, engine: Engine) -> RawEventStore:
    from hub.runtime.settings import get_settings

    settings = get_settings()
    if url.startswith("postgresql"):
        return PostgresEventStore(url, timeout=settings.db_timeout, pooled=settings.database_pooled)
    return SqlEventStore(engine)
