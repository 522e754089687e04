"""Stores and their staff, coupons, and POS imports."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, Text
from sqlmodel import Field, SQLModel

from hub.runtime.db import utcnow
from hub.types import JsonType


class CouponState(StrEnum):
    issued = "issued"
    redeemed = "redeemed"
    expired = "expired"


class CouponSource(StrEnum):
    campaign = "campaign"
    journey = "journey"
    bot = "bot"


class ImportStatus(StrEnum):
    queued = "queued"
    running = "running"
    done = "done"
    failed = "failed"


class Store(SQLModel, table=True):
    """A shop on the street: where coupons are redeemed and till purchases are made."""

    __tablename__ = "store"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    address: str = Field(default="", max_length=500)
    timezone: str = Field(default="UTC", max_length=64)
    active: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class StoreStaff(SQLModel, table=True):
    """A user who works at a store (users of the `store` role see only their stores)."""

    __tablename__ = "store_staff"

    store_id: int = Field(foreign_key="store.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", primary_key=True, ondelete="CASCADE", index=True)


class Coupon(SQLModel, table=True):
    """One coupon Hub handed one customer. `source_key` names what issued it (a broadcast's recipient, a
    journey run's step), so issuing again hands back the same coupon. Redeemed once, by a compare-and-set
    UPDATE on `state`."""

    __tablename__ = "coupon"
    __table_args__ = (Index("ix_coupon_campaign_state", "campaign_id", "state"),
                      Index("ix_coupon_store_redeemed", "store_id", "redeemed_at"))

    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, unique=True)
    offer: str = Field(default="", max_length=500)
    source: str = Field(max_length=20)
    source_key: str = Field(max_length=120, unique=True)
    campaign_id: int | None = None
    flow_id: int | None = Field(default=None, index=True)
    run_id: int | None = None
    bot_id: int | None = None
    contact_id: int = Field(foreign_key="contact.id", index=True, ondelete="CASCADE")
    issued_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime | None = None
    state: str = Field(default=CouponState.issued.value, max_length=20)
    redeemed_at: datetime | None = None
    store_id: int | None = Field(default=None, foreign_key="store.id", ondelete="SET NULL")
    redeemed_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")


class PosImport(SQLModel, table=True):
    """One CSV of historical till sales, imported by a job in batches; `errors` lists the refused rows."""

    __tablename__ = "pos_import"

    id: int | None = Field(default=None, primary_key=True)
    filename: str = Field(default="", max_length=255)
    sha256: str = Field(max_length=64, index=True)
    body: str = Field(sa_column=Column(Text, nullable=False))
    status: str = Field(default=ImportStatus.queued.value, max_length=20)
    total_rows: int = Field(default=0)
    done_rows: int = Field(default=0)
    created: int = Field(default=0)
    duplicates: int = Field(default=0)
    error_count: int = Field(default=0)
    errors: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JsonType, nullable=False))
    created_by_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    finished_at: datetime | None = None
