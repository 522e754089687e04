"""The raw-event inbox: every provider's delivery (channels' webhooks, Stripe's events) is stored here,
unique on the provider's id, and committed before Hub answers. Whoever consumes a provider's events
marks them processed; one sweep wakes the consumer of any event whose job was lost.

The webhook hot path inserts through `hub.webhooks.store` (psycopg's async pool); `store` here is the
plain, synchronous insert for the rest.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary, UniqueConstraint, column, func, insert, table, text, tuple_
from sqlalchemy.dialects import postgresql
from sqlmodel import Field, Session, SQLModel, col, select

from hub.runtime.db import session_scope, utcnow
from hub.runtime.partitions import MonthlyTable
from hub.runtime.record import Inbox
from hub.runtime.upsert import upsert

SWEEP_LIMIT = 500


class RawEvent(SQLModel, table=True):
    """One delivery from a provider. Unique on the provider's event id, so a retry is a no-op."""

    __tablename__ = "webhook_event"
    __table_args__ = (
        UniqueConstraint("provider", "channel_id", "event_id", name="uq_webhook_event_provider_id"),
        # Only the events still to do, in arrival order: the drain's ORDER BY id LIMIT walks it, and its
        # index scan marks the entries of events done since as dead, so a long backlog of done events
        # costs nothing even before VACUUM (a plain index on processed_at made each claim revisit them).
        Index("ix_webhook_event_unprocessed", "id", postgresql_where=text("processed_at IS NULL"),
              sqlite_where=text("processed_at IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    provider: str = Field(max_length=40)
    channel_id: int = Field(default=0)  # 0 for events that belong to no channel (Stripe)
    endpoint: str = Field(default="", max_length=100)
    """Which of the provider's endpoints received it (Twilio: inbound or status), or the event's type (Stripe)."""
    event_id: str = Field(max_length=200)
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    received_at: datetime = Field(default_factory=utcnow)
    processed_at: datetime | None = None
    claimed_until: datetime | None = None
    waiting_for: str | None = Field(default=None, max_length=255, index=True)
    """Set while the event waits for another (a refund that arrived before its payment); the sweep skips it."""
    attempts: int = Field(default=0)
    outcome: str | None = Field(default=None, max_length=40)
    error: str | None = Field(default=None, max_length=1000)


PARTITIONS = MonthlyTable("webhook_event", "received_at", "webhook_event_key", "uq_webhook_event_provider_id")
"""On PostgreSQL, webhook_event is partitioned by month (alembic/versions/0033_monthly_partitions.py) and the
provider's event id is unique in webhook_event_key, which names the event's row (id, received_at)."""
KEYS = table("webhook_event_key", column("provider"), column("channel_id"), column("event_id"), column("id"),
             column("received_at"))


def store(session: Session, *, provider: str, event_id: str, body: bytes, endpoint: str = "",
          channel_id: int = 0) -> tuple[int, bool]:
    """Store one event in the caller's transaction; (row id, whether it still needs processing).
    The same event delivered again inserts nothing."""
    values = {"provider": provider, "channel_id": channel_id, "endpoint": endpoint, "event_id": event_id,
              "body": body, "received_at": utcnow(), "attempts": 0}
    if session.get_bind().dialect.name == "postgresql":
        _store_partitioned(session, values)
        key = select(KEYS.c.id, KEYS.c.received_at).where(KEYS.c.provider == provider,
                                                          KEYS.c.channel_id == channel_id, KEYS.c.event_id == event_id)
        row = session.exec(select(RawEvent).where(tuple_(col(RawEvent.id), col(RawEvent.received_at)).in_(key))).one()
    else:
        upsert(session, RawEvent.__table__, [values],  # type: ignore[attr-defined]
               key=["provider", "channel_id", "event_id"])
        row = session.exec(select(RawEvent).where(RawEvent.provider == provider, RawEvent.channel_id == channel_id,
                                                  RawEvent.event_id == event_id)).one()
    assert row.id is not None
    return row.id, row.processed_at is None and row.waiting_for is None


def _store_partitioned(session: Session, values: dict[str, object]) -> None:
    """The key first (a delivery seen before stops here), then the event with the key's id and time."""
    fresh = session.execute(postgresql.insert(KEYS).values(
        provider=values["provider"], channel_id=values["channel_id"], event_id=values["event_id"],
        id=func.nextval("webhook_event_id_seq"), received_at=values["received_at"],
    ).on_conflict_do_nothing().returning(KEYS.c.id)).first()
    if fresh is not None:
        session.execute(insert(RawEvent).values(id=fresh[0], **values))


def stale(session: Session, providers: Mapping[str, Inbox], now: datetime, *,
          immediately: bool = False) -> list[tuple[Inbox, list[int]]]:
    """Per consumer, the ids of events left unprocessed past its `stale_after` (not those waiting for another;
    `immediately`: however recent). Providers that share a consumer (every channel's webhooks go to one drain)
    are looked at together."""
    shared: dict[Inbox, list[str]] = defaultdict(list)
    for provider, inbox in providers.items():
        shared[inbox].append(provider)
    found = []
    for inbox, names in shared.items():
        cutoff = now if immediately else now - inbox.stale_after
        ids = [int(i) for i in session.exec(select(RawEvent.id).where(
            col(RawEvent.processed_at).is_(None), col(RawEvent.waiting_for).is_(None),
            col(RawEvent.provider).in_(sorted(names)), col(RawEvent.received_at) <= cutoff,
        ).order_by(col(RawEvent.id)).limit(SWEEP_LIMIT)).all() if i is not None]
        if ids:
            found.append((inbox, ids))
    return found


def sweep(providers: Mapping[str, Inbox], *, immediately: bool = False) -> int:
    """Wake each consumer for its events whose job was lost (Redis restarted, a worker died); how many.
    `immediately`: every unprocessed event, however recent (a worker starting catches up at once)."""
    with session_scope() as session:
        lost = stale(session, providers, utcnow(), immediately=immediately)
    for inbox, ids in lost:
        inbox.wake(ids)
    return sum(len(ids) for _, ids in lost)
