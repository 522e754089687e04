"""Tags on conversations and contacts, each remembering who or what applied it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from hub.runtime.db import utcnow


class Tag(SQLModel, table=True):
    __tablename__ = "tag"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    color: str = Field(default="#6b7280", max_length=20)
    auto_apply_threshold: float | None = None
    """The classifier applies this tag on its own at or above this probability (None: it only suggests)."""
    created_at: datetime = Field(default_factory=utcnow)


class ConversationTag(SQLModel, table=True):
    __tablename__ = "conversation_tag"

    conversation_id: int = Field(foreign_key="conversation.id", primary_key=True, ondelete="CASCADE")
    tag_id: int = Field(foreign_key="tag.id", primary_key=True, ondelete="CASCADE", index=True)
    source: str = Field(default="agent", max_length=100)
    agent_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    rule_id: int | None = None  # no foreign key: a tag stays when its rule is deleted, and so does the name
    rule_name: str | None = Field(default=None, max_length=100)
    confidence: float | None = None
    created_at: datetime = Field(default_factory=utcnow)


class ContactTag(SQLModel, table=True):
    __tablename__ = "contact_tag"

    contact_id: int = Field(foreign_key="contact.id", primary_key=True, ondelete="CASCADE")
    tag_id: int = Field(foreign_key="tag.id", primary_key=True, ondelete="CASCADE", index=True)
    source: str = Field(default="agent", max_length=100)
    agent_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    rule_id: int | None = None  # no foreign key: a tag stays when its rule is deleted, and so does the name
    rule_name: str | None = Field(default=None, max_length=100)
    confidence: float | None = None
    created_at: datetime = Field(default_factory=utcnow)
