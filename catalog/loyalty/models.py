"""Loyalty: the points ledger, each contact's balance row, earn rules per currency, tiers and the program's
settings.

The ledger is append-only: a change of points is a new entry, never an edit of an old one (only an earned
entry's `remaining`, its still unspent part, goes down as points are reversed, taken or expired, oldest
first). A contact's `LoyaltyAccount` row holds the balance, the sum of their entries; every change locks it
first, so the two never disagree.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Column, Index
from sqlmodel import Field, SQLModel

from hub.runtime.db import utcnow
from hub.types import JsonType


class EntryKind(StrEnum):
    earn = "earn"  # a paid order, online or in store
    reverse = "reverse"  # a refund takes back (part of) what its order earned
    expire = "expire"  # unspent earned points past their time
    adjust = "adjust"  # a person's correction, with a reason (and an audit entry)


class LoyaltyEntry(SQLModel, table=True):
    """One change of a contact's points: positive (earn, an adjustment up) or negative."""

    __tablename__ = "loyalty_entry"
    __table_args__ = (
        Index("ix_loyalty_entry_contact", "contact_id", "id"),
        Index("ix_loyalty_entry_expiring", "expires_at", "remaining"),
        CheckConstraint("remaining >= 0", name="ck_loyalty_entry_remaining"),
    )

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", ondelete="CASCADE")
    kind: str = Field(max_length=20)
    points: int
    remaining: int = 0
    """Of a positive entry: the points not yet reversed, taken or expired (what expiry would take)."""
    reason: str = Field(default="", max_length=500)
    order_id: int | None = Field(default=None, foreign_key="orders.id", ondelete="SET NULL", index=True)
    idempotency_key: str = Field(max_length=200, unique=True)
    actor_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    expires_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class LoyaltyAccount(SQLModel, table=True):
    """A contact's balance (the sum of their entries) and tier; the row every ledger change locks."""

    __tablename__ = "loyalty_account"

    contact_id: int = Field(foreign_key="contact.id", primary_key=True, ondelete="CASCADE")
    balance: int = 0
    qualifying_points: int = 0
    """Earned, less reversed, plus adjustments: what tiers are measured by (expiry does not demote)."""
    tier_id: int | None = Field(default=None, foreign_key="loyalty_tier.id", ondelete="SET NULL")
    updated_at: datetime = Field(default_factory=utcnow)


class EarnRule(SQLModel, table=True):
    """In one currency: `points` for every `spend_minor` spent (HKD: 1 point per 1000, i.e. per HKD 10)."""

    __tablename__ = "loyalty_earn_rule"
    __table_args__ = (CheckConstraint("points >= 0 AND spend_minor > 0", name="ck_loyalty_earn_rule_positive"),)

    currency: str = Field(max_length=3, primary_key=True)
    points: int
    spend_minor: int
    updated_at: datetime = Field(default_factory=utcnow)


class LoyaltyTier(SQLModel, table=True):
    """A tier a contact reaches at `threshold` qualifying points, with what it gives (the shop's words)."""

    __tablename__ = "loyalty_tier"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=60, unique=True)
    threshold: int = Field(unique=True)
    benefits: list[Any] = Field(default_factory=list, sa_column=Column(JsonType, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)


class LoyaltyProgram(SQLModel, table=True):
    """The program's settings: one row (id 1)."""

    __tablename__ = "loyalty_program"

    id: int = Field(default=1, primary_key=True)
    expiry_days: int = 365
    """Earned points not spent within this many days expire; 0: never."""
    allow_negative: bool = False
    """May a refund or an adjustment take the balance below zero (a debt the next purchase pays off)?"""
    updated_at: datetime = Field(default_factory=utcnow)
