"""Canned replies: text an agent inserts with "/shortcut", shared by everyone or by one team."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text
from sqlmodel import Field, SQLModel

from hub.runtime.db import utcnow


class CannedReply(SQLModel, table=True):
    """`text` may hold placeholders such as `{{contact.first_name}}`, rendered in a sandbox."""

    __tablename__ = "canned_reply"

    id: int | None = Field(default=None, primary_key=True)
    shortcut: str = Field(max_length=50, unique=True)
    title: str = Field(default="", max_length=200)
    text: str = Field(sa_column=Column(Text, nullable=False))
    team_id: int | None = Field(default=None, foreign_key="team.id", ondelete="CASCADE", index=True)
    created_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
