"""Endpoints, the deliveries the outbox queues for them, and each attempt's result."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from hub.runtime.db import utcnow
from hub.types import JsonType


class DeliveryStatus(StrEnum):
    pending = "pending"
    """Waiting for its next attempt (`next_attempt_at`)."""
    delivered = "delivered"
    """The endpoint answered 2xx."""
    failed = "failed"
    """Every attempt of the three days failed, or the endpoint was disabled or deleted."""


class WebhookEndpoint(SQLModel, table=True):
    __tablename__ = "webhook_endpoint"

    id: int | None = Field(default=None, primary_key=True)
    url: str = Field(max_length=2000)
    description: str = Field(default="", max_length=200)
    secret: str = Field(max_length=300)
    """`whsec_…`, sealed at rest with the app secret (see `secrets.seal`)."""
    event_types: list[str] = Field(default_factory=list, sa_column=Column(JsonType, nullable=False))
    enabled: bool = Field(default=True)
    disabled_reason: str | None = Field(default=None, max_length=300)
    """Why Hub turned it off (persistent failure); shown on the endpoint until an admin enables it again."""
    consecutive_failures: int = Field(default=0)
    failing_since: datetime | None = None
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class WebhookDelivery(SQLModel, table=True):
    """One event for one endpoint (the outbox row). `message_id` is the `webhook-id` header: the same for
    every attempt, so the receiver can drop a duplicate; a replay is a new delivery with a new id."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (Index("ix_webhook_delivery_due", "status", "next_attempt_at"),
                      Index("ix_webhook_delivery_endpoint", "endpoint_id", "id"))

    id: int | None = Field(default=None, primary_key=True)
    endpoint_id: int = Field(foreign_key="webhook_endpoint.id", ondelete="CASCADE")
    message_id: str = Field(max_length=40, unique=True)
    event_type: str = Field(max_length=60)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JsonType, nullable=False))
    status: str = Field(default=DeliveryStatus.pending.value, max_length=20)
    attempts: int = Field(default=0)
    next_attempt_at: datetime | None = None
    last_status_code: int | None = None
    last_error: str | None = Field(default=None, max_length=500)
    replay_of_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow)
    delivered_at: datetime | None = None


class WebhookAttempt(SQLModel, table=True):
    """One request to the endpoint: `number` is the retry slot, taken once (a job run twice sends once)."""

    __tablename__ = "webhook_attempt"
    __table_args__ = (UniqueConstraint("delivery_id", "number", name="uq_webhook_attempt_slot"),)

    id: int | None = Field(default=None, primary_key=True)
    delivery_id: int = Field(foreign_key="webhook_delivery.id", ondelete="CASCADE")
    number: int
    started_at: datetime = Field(default_factory=utcnow)
    status_code: int | None = None
    latency_ms: int | None = None
    response_excerpt: str | None = Field(default=None, max_length=500)
    error: str | None = Field(default=None, max_length=500)
