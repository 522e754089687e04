"""Saved segments: a name and a definition (the JSON filter `flows.segments.compile` reads)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column
from sqlmodel import Field, SQLModel

from hub.runtime.db import utcnow
from hub.types import JsonType


class Segment(SQLModel, table=True):
    """A saved filter over contacts; its members are computed when asked, never stored."""

    __tablename__ = "segment"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200, unique=True)
    definition: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JsonType, nullable=False))
    created_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
