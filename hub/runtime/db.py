"""Engines and sessions. Services take a `Session`; jobs open their own with `session_scope()`."""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, any_, bindparam, event, exc, select, tuple_, update
from sqlalchemy import text as sql_text
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from hub.runtime.settings import get_settings


def utcnow() -> datetime:
    """Aware UTC now (SQLModel's UTC column type refuses naive datetimes)."""
    return datetime.now(UTC)


def as_utc(moment: datetime) -> datetime:
    """A datetime in UTC; a naive one is taken to be UTC already."""
    if moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine with the pragmas SQLite needs for several processes (WAL, busy timeout, FKs)."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    kwargs.setdefault("pool_size", 10)
    kwargs.setdefault("max_overflow", 20)
    # fail fast when PostgreSQL is down: a request gets its 503 within seconds, not after 30 s in the pool
    settings = get_settings()
    kwargs.setdefault("pool_timeout", settings.db_timeout)
    connect_args = kwargs.setdefault("connect_args", {"connect_timeout": max(1, int(settings.db_timeout))})
    if settings.database_pooled:
        # Behind PgBouncer in transaction mode, consecutive transactions of one connection run on different
        # server connections: a statement psycopg prepared on one is unknown (or taken) on the next.
        connect_args.setdefault("prepare_threshold", None)
    engine = create_engine(url, **kwargs)
    event.listen(engine, "connect", _binary_lists)
    event.listen(engine, "checkin", _idle_from)
    event.listen(engine, "checkout", _pinger(engine.dialect))
    return engine


def _binary_lists(dbapi_connection: Any, _record: Any) -> None:
    """Python lists go to PostgreSQL as binary arrays: the set-based statements (`unnest` of one array per
    column, `= ANY(ids)`) pass hundreds of values a column, which psycopg's text format writes element by
    element in Python at three times the cost. An array of strings is then `text[]` rather than untyped."""
    from psycopg.types.array import ListBinaryDumper

    dbapi_connection.adapters.register_dumper(list, ListBinaryDumper)


IDLE_PING_SECONDS = 1.0
"""A pooled connection that sat idle this long is pinged when checked out (a restarted or failed-over
PostgreSQL, a connection a proxy closed): if it is dead, the pool replaces it and every other it holds (they
are as old). One used again sooner is not (a round trip saved on each of a drain's or a busy API's
transactions); if the server went away in between, the statement fails once and SQLAlchemy then replaces every
connection the pool held from before."""


def _idle_from(_dbapi_connection: Any, record: Any) -> None:
    if record is not None:
        record.info["idle_since"] = time.monotonic()


def _pinger(dialect: Any) -> Any:
    def ping_if_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since < IDLE_PING_SECONDS:
            return
        try:
            dialect.do_ping(dbapi_connection)
        except Exception as error:  # every connection of the pool is replaced (three tries for this checkout)
            raise exc.InvalidatePoolError(f"a pooled connection is dead: {error}") from error

    return ping_if_idle


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy, not pysqlite, run transactions, so SAVEPOINTs work (see _sqlite_begin).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def _sqlite_begin(connection: Any) -> None:
    # IMMEDIATE takes the write lock up front: several processes then wait on busy_timeout
    # instead of failing when a read transaction later tries to write.
    connection.exec_driver_sql("BEGIN IMMEDIATE")


@lru_cache(maxsize=4)
def _engine_for(url: str) -> Engine:
    return make_engine(url)


def get_engine() -> Engine:
    return _engine_for(get_settings().database_url)


def get_read_engine() -> Engine:
    """The read-only copy's engine (HUB_DATABASE_READ_URL), else the primary's."""
    settings = get_settings()
    return _engine_for(settings.database_read_url or settings.database_url)


def reset_engines() -> None:
    """Forget cached engines (tests switch databases; forked workers must not share pools)."""
    for engine in list(_engines()):
        engine.dispose()
    _engine_for.cache_clear()


def _engines() -> list[Engine]:
    info = _engine_for.cache_info()
    return [] if info.currsize == 0 else list({id(engine): engine for engine in (get_engine(), get_read_engine())}
                                               .values())


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session that commits on success and rolls back on error."""
    with Session(get_engine(), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def for_reports(session: Session) -> None:
    """Ready a transaction for a report's aggregate queries: on PostgreSQL, no JIT compilation. A query whose
    estimated cost passes `jit_above_cost` (a lifecycle matrix over some 600,000 orders, or any report right after
    a bulk import, before ANALYZE) is compiled with LLVM first: 0.8 s of a 1.2 s lifecycle report at 200,000
    orders with stale statistics, where the query alone took 0.4 s. `SET LOCAL` ends with the transaction, so it
    holds behind PgBouncer in transaction mode too."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sql_text("SET LOCAL jit = off"))


@contextmanager
def read_scope() -> Iterator[Session]:
    """A session on the read-only copy (or the primary when there is none) for reads that may lag a moment
    behind (reports): nothing is ever committed through it."""
    with Session(get_read_engine(), expire_on_commit=False) as session:
        try:
            yield session
        finally:
            session.rollback()


def among(session: Session, column: Any, ids: Iterable[int]) -> ColumnElement[bool]:
    """`column IN ids`, on PostgreSQL as one array (`= ANY(…)`): one statement text and one parameter however
    many ids (an IN list is a new statement for each length, and each id a parameter of its own)."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam(None, list(ids), type_=ARRAY(BigInteger)))  # type: ignore[no-any-return]
    return column.in_(list(ids))  # type: ignore[no-any-return]


def rows_by_pairs(session: Session, table: Any, first: str, second: str, pairs: Iterable[tuple[Any, Any]],
                  columns: Sequence[str], *, lock: bool = False) -> list[Any]:
    """The rows of `table` whose (`first`, `second`), a unique key, is one of `pairs`: `columns` of each.
    `lock`: also lock them FOR UPDATE, in the order of the sorted pairs (so two callers cannot deadlock
    on each other); SQLite needs no row locks, its writer lock is held already.

    On PostgreSQL each pair is one probe of the key's index: a LATERAL subquery with LIMIT 1, which the
    planner cannot flatten into a join, so a table that grew since it was last analysed is never scanned
    whole (a row-value IN of 500 pairs became an OR filter over every row: 300 ms at 100,000 rows).
    Elsewhere a row-value IN, in parts of 500."""
    keys = sorted(set(pairs))
    if not keys:
        return []
    found: list[Any] = []
    for start in range(0, len(keys), 500):
        part = keys[start:start + 500]
        if session.get_bind().dialect.name != "postgresql":
            found += session.execute(select(*(table.c[name] for name in columns))
                                     .where(tuple_(table.c[first], table.c[second]).in_(part))).all()
            continue
        kinds = [_array_type(table.c[name]) for name in (first, second)]
        chosen = ", ".join(f"t.{name}" for name in columns)
        statement = (f"SELECT {chosen} FROM unnest(CAST(:a AS {kinds[0]}[]), CAST(:b AS {kinds[1]}[])) AS k(a, b) "  # noqa: S608 (our own names only)
                     f"CROSS JOIN LATERAL (SELECT * FROM {table.name} WHERE {first} = k.a AND {second} = k.b "
                     f"LIMIT 1{' FOR UPDATE' if lock else ''}) AS t")
        found += session.execute(sql_text(statement), {"a": [a for a, _ in part], "b": [b for _, b in part]}).all()
    return found


def _array_type(column: Any) -> str:
    return "bigint" if column.type.python_type is int else "text"


def set_by_id(session: Session, table: Any, column: str, values: dict[int, Any], **constant: Any) -> None:
    """Set `column` of each row id to its own value (and `constant` columns alike) in one statement on
    PostgreSQL (UPDATE … FROM unnest of two arrays), as an executemany elsewhere."""
    if not values:
        return
    if session.get_bind().dialect.name == "postgresql":
        kind = "bigint" if column.endswith("_id") and column != "provider_message_id" else "text"
        extra = "".join(f", {name} = :c_{name}" for name in constant)
        statement = (f"UPDATE {table.name} AS t SET {column} = u.v{extra} "  # noqa: S608 (our own names only)
                     f"FROM unnest(CAST(:ids AS bigint[]), CAST(:vals AS {kind}[])) AS u(id, v) WHERE t.id = u.id")
        session.execute(sql_text(statement),
            {"ids": list(values), "vals": list(values.values()), **{f"c_{k}": v for k, v in constant.items()}})
        return
    session.execute(update(table).where(table.c.id == bindparam("b_id"))
                    .values(**{column: bindparam("b_v")}, **constant),
                    [{"b_id": key, "b_v": value} for key, value in values.items()])
