"""Hub behind a real PgBouncer in transaction mode (Debian's, 1.18: no prepared statements of its own).

In transaction mode each transaction of a client may run on another server connection, so a statement psycopg
prepared on one is missing, or already taken, on the next. `HUB_DATABASE_POOLED=true` turns psycopg's
server-side prepared statements off; these tests show the failure without it and Hub's own writers (the
set-based conversation store with its transaction-scoped advisory locks, receipts) working with it."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import psycopg
import pytest
import redis
from sqlalchemy import text
from sqlmodel import col, func, select

from hub import schema
from hub.channel_records import service as channel_service
from hub.runtime import broker, db, events
from hub.runtime.settings import get_settings
from tests.conftest import PG_BASE, POSTGRES_UP, REDIS_BASE, REDIS_TEST_DB
from tests.factories import inbound, make_channel

PGBOUNCER = shutil.which("pgbouncer") or "/usr/sbin/pgbouncer"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def pgbouncer(request: pytest.FixtureRequest) -> Iterator[tuple[str, str]]:
    """A fresh database behind a PgBouncer in transaction mode with `pool_size` server connections (the test's
    mark, default 1: every client shares one); (the direct URL, the URL through PgBouncer)."""
    mark = request.node.get_closest_marker("pool_size")
    pool_size = mark.args[0] if mark else 1
    required = os.environ.get("HUB_REQUIRE_POSTGRES")
    if not POSTGRES_UP or not Path(PGBOUNCER).exists():
        if required:
            pytest.fail("PgBouncer (Debian's pgbouncer package) and PostgreSQL are needed: .ci/run installs them")
        pytest.skip("PgBouncer or PostgreSQL is not here")
    name = f"hub_pgb_{uuid.uuid4().hex[:8]}"
    admin = db.make_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    direct = PG_BASE.rsplit("/", 1)[0] + f"/{name}"
    engine = db.make_engine(direct)
    with engine.connect() as conn:
        schema.upgrade(connection=conn)
        conn.commit()
    engine.dispose()
    port = _free_port()
    # PgBouncer will not run as root: it runs as postgres, so its folder is outside pytest's private ones
    work = Path(tempfile.mkdtemp(prefix="hub-pgbouncer-"))
    work.chmod(0o777)
    ini = work / "pgbouncer.ini"
    ini.write_text(f"""[databases]
{name} = host=127.0.0.1 port=5432 dbname={name} user=postgres
[pgbouncer]
listen_addr = 127.0.0.1
listen_port = {port}
unix_socket_dir =
auth_type = any
pool_mode = transaction
default_pool_size = {pool_size}
max_client_conn = 200
logfile = {work}/pgbouncer.log
pidfile = {work}/pgbouncer.pid
""")
    command = [PGBOUNCER, *(["-u", "postgres"] if os.geteuid() == 0 else []), str(ini)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (work / "pgbouncer.log").read_text() if (work / "pgbouncer.log").exists() else ""
                    raise RuntimeError(f"PgBouncer did not start: {log[-500:]}") from None
                time.sleep(0.05)
        yield direct, f"postgresql+psycopg://postgres@127.0.0.1:{port}/{name}"
    finally:
        process.terminate()
        process.wait(10)
        shutil.rmtree(work, ignore_errors=True)
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _at_once(target: Callable[..., None], arguments: list[tuple[object, ...]]) -> None:
    """One thread per argument tuple, all started, then all joined."""
    threads = [threading.Thread(target=target, args=args) for args in arguments]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def _same_query_from_two_clients(conninfo: str, **options: object) -> list[str]:
    """Two clients alternate the same query, more often than psycopg's prepare threshold: the errors."""
    errors: list[str] = []
    clients = [psycopg.connect(conninfo, autocommit=True, **options) for _ in range(2)]  # type: ignore[arg-type]
    try:
        for _ in range(12):
            for client in clients:
                try:
                    client.execute("SELECT count(*) FROM contact WHERE id > %s", (0,)).fetchone()
                except psycopg.Error as error:
                    errors.append(type(error).__name__)
    finally:
        for client in clients:
            client.close()
    return errors


def test_psycopg_prepared_statements_break_behind_pgbouncer_and_the_setting_turns_them_off(pgbouncer):
    _direct, pooled = pgbouncer
    conninfo = pooled.replace("postgresql+psycopg://", "postgresql://")
    assert _same_query_from_two_clients(conninfo), "expected prepared-statement errors without the setting"
    assert _same_query_from_two_clients(conninfo, prepare_threshold=None) == []


# A worker storing messages from new senders holds one connection and briefly takes a second (the contacts'
# own short transaction, `store._create_contacts_apart`): the pool needs a server connection more than the
# writers that can be in a transaction at once, or they wait on each other until PgBouncer's query_wait_timeout.
# README ("Running behind PgBouncer") says so. Here: 4 writers, 5 server connections, up to 8 client ones.
@pytest.mark.pool_size(5)
def test_hub_stores_concurrent_inbound_messages_and_receipts_through_pgbouncer(pgbouncer, monkeypatch, tmp_path):
    from channels import SendResult, StatusUpdate
    from hub import outbound
    from hub.contacts.models import Contact
    from hub.conversations import service as conversations
    from hub.conversations import store
    from hub.conversations.models import Conversation, Message

    _direct, pooled = pgbouncer
    redis_url = f"{REDIS_BASE}/{REDIS_TEST_DB}"
    redis.Redis.from_url(redis_url).flushdb()
    for key, value in {"HUB_DATABASE_URL": pooled, "HUB_DATABASE_POOLED": "true", "HUB_REDIS_URL": redis_url,
                       "HUB_ENV": "test", "HUB_SECRET_KEY": "test-secret-key-that-is-long-enough-0123456789",
                       "HUB_VAR_DIR": str(tmp_path / "var"), "HUB_SANDBOX": "true",
                       "HUB_PUBLIC_URL": "https://hub.example.test"}.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()
    db.reset_engines()
    broker.reset()
    channel_service.forget_cache()
    events.clear()
    try:
        channel = make_channel("whatsapp_meta")
        phones = [f"+8529100{n:04d}" for n in range(30)]
        errors: list[BaseException] = []

        def write(worker: int) -> None:
            try:
                for batch in range(6):  # many transactions each, over the one shared server connection
                    arrivals = [store.Arrival(channel.id, "whatsapp", inbound(f"wamid.{worker}.{batch}.{n}", phone,
                                                                             f"第{batch}則 メッセージ"))
                                for n, phone in enumerate(phones)]
                    with db.session_scope() as session:
                        store.store_inbound(session, arrivals)
            except BaseException as error:  # noqa: BLE001
                errors.append(error)

        _at_once(write, [(worker,) for worker in range(4)])
        assert errors == []
        with db.session_scope() as session:
            assert session.exec(select(func.count()).select_from(Contact)).one() == len(phones)
            assert session.exec(select(func.count()).select_from(Message)).one() == 4 * 6 * len(phones)
            conversation_ids = session.exec(select(Conversation.id)).all()
        assert len(conversation_ids) == len(phones)

        # a reply to each through the delivery engine, then their receipts from four threads at once
        with db.session_scope() as session:
            queued = outbound.enqueue(session, [outbound.Draft(conversation_id=cid, channel_id=channel.id, text="多謝",
                                                               client_key=f"thanks-{cid}") for cid in conversation_ids])
        with db.session_scope() as session:
            claimed = outbound.claim(session, [mid for mid, _created in queued], timedelta(minutes=1))
        with db.session_scope() as session:
            outbound.record(session, [outbound.Outcome(mid, SendResult(ok=True, provider_message_id=f"wamid.OUT{mid}"))
                                      for mid in sorted(claimed)])

        def receipts(part: list[int]) -> None:
            try:
                for status in ("delivered", "read"):
                    for mid in part:
                        with db.session_scope() as session:
                            conversations.apply_receipts(session=session, receipts=[(channel.id, StatusUpdate(
                                provider_message_id=f"wamid.OUT{mid}", status=status,  # type: ignore[arg-type]
                                at=datetime.now(UTC)))])
            except BaseException as error:  # noqa: BLE001
                errors.append(error)

        ids = sorted(claimed)
        _at_once(receipts, [(ids[n::4],) for n in range(4)])
        assert errors == []
        with db.session_scope() as session:
            statuses = session.exec(select(Message.status).where(col(Message.direction) == "outbound")).all()
        assert sorted(statuses) == ["read"] * len(phones)
    finally:
        db.reset_engines()
        get_settings.cache_clear()
        broker.reset()
        events.clear()


@pytest.mark.pool_size(2)
def test_webhook_batches_are_stored_through_pgbouncer_with_the_setting(pgbouncer, monkeypatch):
    """The webhook store's own psycopg pool (group commit, one statement per batch) follows HUB_DATABASE_POOLED:
    many batches from two client connections over two server connections, past psycopg's prepare threshold
    (without the setting this fails with `prepared statement "_pg3_0" already exists`)."""
    import asyncio

    from hub.runtime.db import get_engine
    from hub.webhooks.store import PostgresEventStore, store_for

    direct, pooled = pgbouncer
    monkeypatch.setenv("HUB_DATABASE_URL", pooled)
    monkeypatch.setenv("HUB_DATABASE_POOLED", "true")
    get_settings.cache_clear()
    db.reset_engines()
    try:
        store = store_for(pooled, get_engine())
        assert isinstance(store, PostgresEventStore)

        async def deliver() -> list[int | None]:
            await store.open()
            answers: list[int | None] = []
            try:
                for round_ in range(40):  # each round: 30 deliveries at once, 10 of them repeats
                    answers += await asyncio.gather(*(store.add("meta", 1, "", f"wamid.{round_}.{n % 20}", b"{}")
                                                      for n in range(30)))
            finally:
                await store.close()
            return answers

        answers = asyncio.run(deliver())
        assert len([answer for answer in answers if answer is not None]) == 40 * 20
        with psycopg.connect(direct.replace("postgresql+psycopg://", "postgresql://")) as conn:
            row = conn.execute("SELECT count(*), count(DISTINCT event_id) FROM webhook_event").fetchone()
        assert row == (800, 800)
    finally:
        db.reset_engines()
        get_settings.cache_clear()
