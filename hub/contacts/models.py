"""Customers, the addresses they write from, and their consent per channel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from hub.runtime.db import utcnow
from hub.types import JsonType


class Contact(SQLModel, table=True):
    __tablename__ = "contact"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(default="", max_length=200)
    locale: str | None = Field(default=None, max_length=20)
    timezone: str | None = Field(default=None, max_length=64)
    custom_fields: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JsonType, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    erased_at: datetime | None = None  # erased on request: an empty row kept only because orders point at it


class ChannelIdentity(SQLModel, table=True):
    """One address of a contact on one kind of channel: `sms` or `whatsapp` (an E.164 phone),
    `whatsapp_user` (Meta's business-scoped id), `telegram` (a user id) or `webchat` (a session).

    `phone` links them: the same number on SMS and WhatsApp is one contact with two identities."""

    __tablename__ = "channel_identity"
    __table_args__ = (UniqueConstraint("kind", "value", name="uq_identity_kind_value"),)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=20)
    value: str = Field(max_length=200)
    phone: str | None = Field(default=None, max_length=20, index=True)
    verified: bool = Field(default=False)
    created_at: datetime = Field(default_factory=utcnow)


class Consent(SQLModel, table=True):
    """An opt-in or opt-out of one contact on one channel. The newest record wins."""

    __tablename__ = "consent"
    __table_args__ = (Index("ix_consent_contact_channel", "contact_id", "channel_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", ondelete="CASCADE")
    channel_id: int = Field(foreign_key="channel.id", ondelete="CASCADE")
    status: str = Field(max_length=20)  # opted_in | opted_out
    purpose: str = Field(default="marketing", max_length=20)
    source: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
