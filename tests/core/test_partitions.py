"""PostgreSQL keeps webhook_event and report_event in monthly partitions: an installation at 0030 keeps every row
and its uniqueness through the migration, duplicates still store nothing, the daily job makes months ahead (moving
strays out of the default partition) and retention drops whole months."""

from __future__ import annotations

import asyncio
import threading
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Connection, text
from sqlalchemy.exc import IntegrityError
from sqlmodel import select

from alembic import command
from hub import schema
from hub.composition import create_app, wire
from hub.conversations.models import Message
from hub.privacy import retention
from hub.runtime import db, inbox, partitions
from hub.runtime.db import session_scope, utcnow
from hub.runtime.settings import get_settings
from hub.webhooks import partitions as webhook_partitions
from hub.webhooks.store import PostgresEventStore
from reports import kinds, record, rollup
from reports import retention as report_retention
from reports.models import PARTITIONS as FACTS
from reports.models import CampaignTotal, DailyRollup, ReportEvent
from tests.conftest import PG_BASE, pg_url, wait_for
from tests.factories import make_channel, telegram_headers, telegram_update

OCTOBER = datetime(2026, 10, 15, 9, 0, tzinfo=UTC)
NOVEMBER = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
WEBHOOK_ROWS = ("INSERT INTO webhook_event (provider, channel_id, endpoint, event_id, body, received_at, processed_at, "
                "attempts) VALUES ('telegram', 7, '', 'u1', '\\x7b7d', :oct, :oct, 1), "
                "('telegram', 7, '', 'u2', '\\x7b7d', :nov, NULL, 0), ('stripe', 0, 'charge', 'evt_1', '\\x7b7d', "
                ":nov, NULL, 0)")
FACT_ROWS = ("INSERT INTO report_event (kind, source_key, at, day) VALUES "
             "('message.received', 'message:901:received', :oct, '2026-10-15'), "
             "('conversation.opened', 'conversation:901:opened', :nov, '2026-11-03')")


def _names(conn: Connection, parent: str) -> list[str]:
    return sorted(conn.execute(text(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p "
        "ON p.oid = i.inhparent WHERE p.relname = :p AND p.relnamespace = to_regnamespace(current_schema())::oid"),
        {"p": parent}).scalars())


def _constraint(conn: Connection, name: str, table: str) -> str:
    return str(conn.execute(text("SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = :n "
                                 "AND conrelid = to_regclass(:t)"), {"n": name, "t": table}).scalar_one())


@pytest.fixture
def own_months(pg_backend: Any) -> Any:
    """The months a test makes are dropped after it: the next test's retention sees the schema as migrated."""
    with db.get_engine().connect() as conn:
        before = {name for parent in ("webhook_event", "report_event") for name in _names(conn, parent)}
    yield
    with db.get_engine().begin() as conn:
        for name in {name for parent in ("webhook_event", "report_event") for name in _names(conn, parent)} - before:
            conn.execute(text(f'DROP TABLE "{name}"'))


def at_0030_with_rows(url: str) -> tuple[Any, Any]:
    """A database at 0030 (before the partitions) holding webhooks and facts in two months; its engine and
    Alembic config."""
    engine = db.make_engine(url)
    config = schema.alembic_config(url)
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0030")
        conn.execute(text(WEBHOOK_ROWS), {"oct": OCTOBER, "nov": NOVEMBER})
        conn.execute(text(FACT_ROWS), {"oct": OCTOBER, "nov": NOVEMBER})
        conn.commit()
    return engine, config


@pytest.fixture
def old_installation(pg_backend: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A schema of its own at 0030 with webhooks and facts in two months; the app then points at it."""
    name = f"t_mig_{uuid.uuid4().hex[:8]}"
    admin = db.make_engine(PG_BASE)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {name}"))
    url = pg_url(name)
    engine, config = at_0030_with_rows(url)
    monkeypatch.setenv("HUB_DATABASE_URL", url)
    get_settings.cache_clear()
    db.reset_engines()
    yield engine, config
    engine.dispose()
    db.reset_engines()
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {name} CASCADE"))
    admin.dispose()


def test_an_installation_at_0030_keeps_its_rows_and_their_uniqueness_through_the_migration(old_installation):
    engine, config = old_installation
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        conn.commit()
        assert conn.execute(text("SELECT relkind FROM pg_class WHERE relname = 'webhook_event' "
                                 "AND relnamespace = to_regnamespace(current_schema())::oid")).scalar_one() == "p"
        events = conn.execute(text("SELECT id, provider, event_id, processed_at IS NOT NULL, tableoid::regclass::text "
                                   "FROM webhook_event ORDER BY id")).all()
        assert [tuple(row) for row in events] == [(1, "telegram", "u1", True, "webhook_event_p202610"),
                                                  (2, "telegram", "u2", False, "webhook_event_p202611"),
                                                  (3, "stripe", "evt_1", False, "webhook_event_p202611")]
        month = partitions.month_of(utcnow())
        ahead = [partitions.partition_name(inbox.PARTITIONS, partitions.add_months(month, n)) for n in range(4)]
        assert set(ahead) <= set(_names(conn, "webhook_event"))
        assert "webhook_event_pdefault" in _names(conn, "webhook_event")
        facts = conn.execute(text("SELECT source_key, tableoid::regclass::text FROM report_event ORDER BY id")).all()
        assert [tuple(row) for row in facts] == [("message:901:received", "report_event_p202610"),
                                                 ("conversation:901:opened", "report_event_p202611")]
        keys = conn.execute(text("SELECT provider, event_id, id FROM webhook_event_key ORDER BY id")).all()
        assert [tuple(row) for row in keys] == [("telegram", "u1", 1), ("telegram", "u2", 2), ("stripe", "evt_1", 3)]
        assert _constraint(conn, "webhook_event_pkey", "webhook_event") == "PRIMARY KEY (id, received_at)"

    # the hot path, the plain insert and the facts: a key seen before stores nothing; a new one continues the ids
    store = PostgresEventStore(get_settings().database_url)

    async def deliver() -> list[int | None]:
        await store.open()
        try:
            return [await store.add("telegram", 7, "", "u1", b"{}"), await store.add("telegram", 7, "", "u9", b"{}")]
        finally:
            await store.close()

    again, new = asyncio.run(deliver())
    assert again is None and new is not None and new > 3  # (a refused key spends an id, as ON CONFLICT always did)
    with session_scope() as session:
        assert inbox.store(session, provider="stripe", event_id="evt_1", body=b"{}", endpoint="charge") == (3, True)
        assert record.record_facts(session, [{"kind": kinds.MESSAGE_RECEIVED, "source_key": "message:901:received",
                                              "at": OCTOBER}]) == 0
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM webhook_event")).scalar_one() == 4
        assert conn.execute(text("SELECT count(*) FROM report_event")).scalar_one() == 2

    # and back: plain tables with their unique constraints, every row kept
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.downgrade(config, "0030")
        conn.commit()
        assert conn.execute(text("SELECT count(*) FROM webhook_event")).scalar_one() == 4
        assert _constraint(conn, "uq_report_event_source_key", "report_event") == "UNIQUE (source_key)"
        assert conn.execute(text("SELECT to_regclass('webhook_event_key')")).scalar_one() is None


def test_after_the_migration_a_webhook_is_ingested_and_reported_once(old_installation):
    engine, config = old_installation
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        conn.commit()
    from hub.jobs.worker import HubWorker
    from hub.runtime import broker

    wire()
    channel = make_channel("telegram")
    with TestClient(create_app()) as client:
        for _ in range(2):  # the provider retries: the second delivery stores nothing
            answer = client.post(f"/webhooks/telegram/{channel.id}", content=telegram_update(5001),
                                 headers=telegram_headers(channel.id))
            assert answer.status_code == 200
    wait_for(lambda: broker.queue("inbound").count > 0, timeout=5)
    HubWorker([broker.queue(name) for name in broker.QUEUES], connection=broker.connection()).work(burst=True)
    with session_scope() as session:
        assert len(session.exec(select(Message)).all()) == 1
        received = session.exec(select(ReportEvent).where(ReportEvent.kind == kinds.MESSAGE_RECEIVED)).all()
        assert len(received) == 2  # the one migrated, and this message's
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM webhook_event WHERE event_id <> 'u1' AND provider = "
                                 "'telegram' AND processed_at IS NOT NULL AND channel_id = :c"),
                            {"c": channel.id}).scalar_one() == 1


def test_concurrent_deliveries_of_one_event_store_it_once(pg_backend):
    store = PostgresEventStore(get_settings().database_url)

    async def deliver() -> list[int | None]:
        await store.open()
        try:
            return list(await asyncio.gather(*(store.add("meta", 1, "", "wamid.same", b"{}") for _ in range(8))))
        finally:
            await store.close()

    ids = asyncio.run(deliver())
    assert len([i for i in ids if i is not None]) == 1
    with db.get_engine().connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM webhook_event")).scalar_one() == 1
        assert conn.execute(text("SELECT count(*) FROM webhook_event_key")).scalar_one() == 1


def test_the_daily_job_makes_months_ahead_once_in_any_number_of_workers_and_moves_strays(pg_backend, own_months):
    later = datetime(2027, 8, 10, tzinfo=UTC)
    with session_scope() as session:  # a webhook of a month nobody made yet lands in the default partition
        inbox.store(session, provider="meta", event_id="early", body=b"{}")
        session.execute(text("UPDATE webhook_event SET received_at = '2027-09-02 00:00:00+00'"))
        session.execute(text("UPDATE webhook_event_key SET received_at = '2027-09-02 00:00:00+00'"))
    made: list[list[str]] = []
    workers = [threading.Thread(target=lambda: made.append(webhook_partitions.create_ahead(later))) for _ in range(3)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    created = sorted(name for names in made for name in names)
    assert created == [f"webhook_event_p2027{m:02d}" for m in range(8, 12)]  # each once, whoever made it
    assert webhook_partitions.create_ahead(later) == []
    with db.get_engine().connect() as conn:
        assert conn.execute(text("SELECT tableoid::regclass::text FROM webhook_event")).scalar_one() \
            == "webhook_event_p202709"
    with session_scope() as session:  # and the moved event is still found by its key
        assert inbox.store(session, provider="meta", event_id="early", body=b"{}")[1] is True
        assert session.execute(text("SELECT count(*) FROM webhook_event")).scalar_one() == 1


def test_retention_drops_whole_past_months_of_processed_webhooks_and_keeps_a_month_with_work_left(pg_backend,
                                                                                                   own_months):
    now = utcnow()
    old, older = (partitions.add_months(partitions.month_of(now), -n) for n in (3, 4))
    with session_scope() as session:
        conn = session.connection()
        for month in (old, older):
            partitions.create_month(conn, inbox.PARTITIONS, month)
        for event_id, month in (("done", older), ("done-too", old), ("waiting", old)):
            inbox.store(session, provider="meta", event_id=event_id, body=b"{}")
            session.execute(text("UPDATE webhook_event SET received_at = :m, processed_at = :p WHERE event_id = :e"),
                            {"m": month + timedelta(days=1), "e": event_id,
                             "p": None if event_id == "waiting" else month + timedelta(days=2)})
            session.execute(text("UPDATE webhook_event_key SET received_at = :m WHERE event_id = :e"),
                            {"m": month + timedelta(days=1), "e": event_id})
    assert retention.sweep(now) == {"webhook_months": 1, "webhook_bodies": 1, "media_files": 0}
    with db.get_engine().connect() as conn:
        names = _names(conn, "webhook_event")
        assert partitions.partition_name(inbox.PARTITIONS, older) not in names
        assert partitions.partition_name(inbox.PARTITIONS, old) in names
        assert list(conn.execute(text("SELECT event_id FROM webhook_event")).scalars()) == ["waiting"]
        assert list(conn.execute(text("SELECT event_id FROM webhook_event_key")).scalars()) == ["waiting"]
    with session_scope() as session:  # a very late retry of a dropped event is stored again (messages dedupe it)
        assert inbox.store(session, provider="meta", event_id="done", body=b"{}")[1] is True


def test_report_facts_past_the_retention_go_with_their_month_and_are_not_recorded_again(pg_backend, own_months,
                                                                                         monkeypatch):
    monkeypatch.setenv("HUB_REPORT_EVENTS_RETENTION_MONTHS", "2")
    get_settings.cache_clear()
    now = utcnow()
    gone, kept = (partitions.add_months(partitions.month_of(now), -n) for n in (3, 1))
    with session_scope() as session:
        partitions.create_month(session.connection(), FACTS, gone)
        session.execute(text("INSERT INTO report_event (kind, source_key, at, day) VALUES ('message.received', "
                             "'message:901:received', :at, :day)"),
                        {"at": gone + timedelta(hours=5), "day": gone.date()})
        session.execute(text("INSERT INTO report_event_key (source_key, at) VALUES ('message:901:received', :at)"),
                        {"at": gone + timedelta(hours=5)})
        assert record.record_facts(session, [{"kind": kinds.MESSAGE_RECEIVED, "source_key": "message:2:received",
                                              "at": kept + timedelta(hours=5)}]) == 1
    done = report_retention.maintain(now)
    assert done["dropped"] == [partitions.partition_name(FACTS, gone)]
    assert report_retention.maintain(now)["dropped"] == []
    with session_scope() as session:
        assert record.record_facts(session, [{"kind": kinds.MESSAGE_RECEIVED, "source_key": "message:901:received",
                                              "at": gone + timedelta(hours=5)}]) == 0
        assert list(session.execute(text("SELECT source_key FROM report_event")).scalars()) == ["message:2:received"]
        assert list(session.execute(text("SELECT source_key FROM report_event_key")).scalars()) \
            == ["message:2:received"]


def test_a_rebuild_after_retention_keeps_the_rollups_of_the_months_it_dropped(pg_backend, own_months, monkeypatch):
    """The rollups are then the only record of a dropped month: `hub reports backfill` rebuilds the days whose
    facts are all kept, and leaves the older days and the totals of campaigns that had facts in them."""
    monkeypatch.setenv("HUB_REPORT_EVENTS_RETENTION_MONTHS", "2")
    get_settings.cache_clear()
    now = utcnow()
    gone, kept = (partitions.add_months(partitions.month_of(now), -n) for n in (3, 1))
    with session_scope() as session:
        session.add(DailyRollup(day=gone.date(), kind=kinds.ORDER_PAID, campaign_id=7, currency="HKD", count=4,
                                amount_minor=40000))
        session.add(CampaignTotal(campaign_id=7, kind=kinds.ORDER_PAID, currency="HKD", count=4, amount_minor=40000))
        record.record_facts(session, [{"kind": kinds.MESSAGE_RECEIVED, "source_key": "message:3:received",
                                       "at": kept + timedelta(hours=5)}])
    report_retention.maintain(now)
    with session_scope() as session:
        rollup.rebuild(session)
        rows = {(r.day, r.kind): r.count for r in session.exec(select(DailyRollup))}
        assert rows[(gone.date(), kinds.ORDER_PAID)] == 4
        assert sum(n for (day, kind), n in rows.items() if kind == kinds.MESSAGE_RECEIVED) == 1
        assert [(t.campaign_id, t.count) for t in session.exec(select(CampaignTotal))] == [(7, 4)]


def test_sqlite_keeps_its_plain_tables_and_their_unique_keys_through_the_migration(tmp_path):
    engine, config = at_0030_with_rows(f"sqlite:///{tmp_path / 'old.db'}")
    with engine.connect() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
        conn.commit()
        assert conn.execute(text("SELECT count(*) FROM webhook_event")).scalar_one() == 3
        assert conn.execute(text("SELECT count(*) FROM report_event")).scalar_one() == 2
        tables = set(conn.execute(text("SELECT name FROM sqlite_master WHERE type = 'table'")).scalars())
        assert {"webhook_event_key", "report_event_key", "webhook_event_pdefault"} & tables == set()
        with pytest.raises(IntegrityError):
            conn.execute(text("INSERT INTO report_event (kind, source_key, at, day) VALUES ('message.received', "
                              "'message:901:received', '2026-12-01 00:00:00', '2026-12-01')"))
    engine.dispose()
