"""Campaigns, their recipients (one row per contact, the unit of exactly-once sending) and tracked links.

A recipient's `state` is the sender's: `pending` (waiting for `due_at`), `sending` (a worker holds it
until `lease_until`), `sent`, `failed`, `skipped` (with `reason`) or `unknown` (the provider was called
and never answered: a receipt settles it, or the marketer sends again). What happened after sending is
kept as moments: `delivered_at`, `read_at`, `replied_at`, `clicked_at`, `converted_at`; each is set
once, so a duplicated or late receipt changes nothing.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from hub.runtime.db import utcnow
from hub.types import JsonType


class CampaignStatus(StrEnum):
    draft = "draft"
    scheduled = "scheduled"  # launched, its send time not reached yet
    running = "running"
    paused = "paused"
    done = "done"
    cancelled = "cancelled"


class RecipientState(StrEnum):
    pending = "pending"
    sending = "sending"
    sent = "sent"
    failed = "failed"
    skipped = "skipped"
    unknown = "unknown"
    """Its message is `unknown` (a timeout, a worker that died after the call): a receipt settles it, or
    the marketer sends to it again."""


class Campaign(SQLModel, table=True):
    """A broadcast: who (a segment), on which channel, what (variants of a message), when and how fast.

    `variants` is a list of {"name", "weight", "text", "media_url", "media_type", "buttons"}; buttons are
    {"title", "id"} (quick reply) or {"title", "url"} (a URL, rewritten to a tracked link per recipient).
    `template` ({"name", "language", "params"}) is what WhatsApp recipients outside the 24-hour window
    get instead. `defaults` fill personal fields a contact lacks. `channel_ids` is the fallback order when
    `channel_mode` is "preferred" (each contact's channel of last contact first)."""

    __tablename__ = "campaign"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    status: str = Field(default=CampaignStatus.draft.value, max_length=20, index=True)
    segment_id: int | None = Field(default=None, foreign_key="segment.id", ondelete="SET NULL")
    channel_mode: str = Field(default="fixed", max_length=20)  # fixed | preferred
    channel_ids: list[int] = Field(default_factory=list, sa_column=Column(JsonType, nullable=False))
    variants: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JsonType, nullable=False))
    template: dict[str, Any] | None = Field(default=None, sa_column=Column(JsonType, nullable=True))
    defaults: dict[str, str] = Field(default_factory=dict, sa_column=Column(JsonType, nullable=False))
    coupon_prefix: str | None = Field(default=None, max_length=20)
    send_at: datetime | None = None
    local_time: bool = Field(default=False)  # send_at read as each recipient's own wall-clock time
    quiet_start: str | None = Field(default="21:00", max_length=5)
    quiet_end: str | None = Field(default="08:00", max_length=5)
    throttle_per_second: float | None = None  # None: the channel's published rate
    attribution_hours: int = Field(default=72)
    created_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    launched_at: datetime | None = None
    finished_at: datetime | None = None


class Recipient(SQLModel, table=True):
    __tablename__ = "campaign_recipient"
    __table_args__ = (
        UniqueConstraint("campaign_id", "contact_id", name="uq_recipient_campaign_contact"),
        Index("ix_recipient_due", "campaign_id", "state", "due_at"),
        Index("ix_recipient_contact", "contact_id", "sent_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    campaign_id: int = Field(foreign_key="campaign.id", ondelete="CASCADE")
    contact_id: int = Field(foreign_key="contact.id", ondelete="CASCADE")
    channel_id: int | None = Field(default=None, foreign_key="channel.id", ondelete="SET NULL")
    variant: str = Field(default="A", max_length=20)
    state: str = Field(default=RecipientState.pending.value, max_length=20)
    reason: str | None = Field(default=None, max_length=300)
    due_at: datetime | None = None
    lease_until: datetime | None = None
    attempts: int = Field(default=0)
    message_id: int | None = Field(default=None, foreign_key="message.id", ondelete="SET NULL", unique=True)
    coupon_code: str | None = Field(default=None, max_length=40, unique=True)
    sent_at: datetime | None = None
    delivered_at: datetime | None = None
    read_at: datetime | None = None
    failed_at: datetime | None = None
    replied_at: datetime | None = None
    clicked_at: datetime | None = None
    converted_at: datetime | None = None
    order_id: int | None = None


class TrackedLink(SQLModel, table=True):
    """A URL button of one recipient's message: `/l/{token}` counts the click and redirects."""

    __tablename__ = "campaign_link"

    token: str = Field(primary_key=True, max_length=32)
    recipient_id: int = Field(foreign_key="campaign_recipient.id", ondelete="CASCADE", index=True)
    url: str = Field(max_length=2000)
    clicks: int = Field(default=0)
    first_clicked_at: datetime | None = None
