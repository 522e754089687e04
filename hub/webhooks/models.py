"""Raw webhook events, stored before Hub answers the provider."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary, UniqueConstraint, text
from sqlmodel import Field, SQLModel

from hub.db import utcnow


class WebhookEvent(SQLModel, table=True):
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
    endpoint: str = Field(default="", max_length=40)
    event_id: str = Field(max_length=200)
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    received_at: datetime = Field(default_factory=utcnow)
    processed_at: datetime | None = None
    claimed_until: datetime | None = None
    attempts: int = Field(default=0)
    error: str | None = Field(default=None, max_length=1000)
