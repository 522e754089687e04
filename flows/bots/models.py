"""Bots' tables: a bot (a flow, or an external bot over a webhook), the knowledge base it answers from, the
conversations it handled and its handoffs to people."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index
from sqlmodel import Field, SQLModel

from hub.runtime.db import utcnow
from hub.types import JsonType


class BotKind(StrEnum):
    flow = "flow"
    external = "external"


class HandoffReason(StrEnum):
    """Why a bot handed a conversation to a person."""

    asked = "asked"  # the customer typed "agent", "人工", "担当者"...
    step = "step"  # the flow's handoff step
    no_answer = "no_answer"  # the knowledge base had no confident answer
    gave_up = "gave_up"  # collect & validate ran out of retries
    loop = "loop"  # the same step three times
    error = "error"  # a step failed, or an external bot errored
    timeout = "timeout"  # an external bot did not answer in time
    external = "external"  # an external bot asked for a person


class Bot(SQLModel, table=True):
    """A bot serving some channels (none listed: every channel). A `flow` bot runs its flow (trigger `bot`) on
    each customer message of a conversation in bot mode; an `external` bot gets signed events at `url`."""

    __tablename__ = "bot"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    kind: str = Field(default=BotKind.flow.value, max_length=20)
    flow_id: int | None = Field(default=None, foreign_key="flow.id", ondelete="SET NULL")
    channel_ids: list[int] = Field(default_factory=list, sa_column=Column(JsonType, nullable=False))
    enabled: bool = Field(default=True)
    threshold: float = Field(default=0.5)
    """The knowledge base's answer must be at least this sure (0-1), else the bot asks again or hands off."""
    url: str | None = Field(default=None, max_length=2000)
    secret: str | None = Field(default=None, max_length=300)
    """Signs the events posted to `url` (Standard Webhooks)."""
    token_hash: str | None = Field(default=None, max_length=64, unique=True)
    """The external bot's API token, hashed (sha256): it answers with it."""
    created_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class KnowledgeEntry(SQLModel, table=True):
    """One question and its answer in one language; `keywords` are matched like the tagger's keyword rules."""

    __tablename__ = "knowledge_entry"
    __table_args__ = (Index("ix_knowledge_entry_locale", "locale", "enabled"),)

    id: int | None = Field(default=None, primary_key=True)
    locale: str = Field(max_length=10)
    question: str = Field(max_length=500)
    answer: str = Field(max_length=2000)
    keywords: list[str] = Field(default_factory=list, sa_column=Column(JsonType, nullable=False))
    tag: str | None = Field(default=None, max_length=100)
    """A tag the classifier predicts for such questions: a confident prediction also finds this answer."""
    enabled: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class BotConversation(SQLModel, table=True):
    """A conversation a bot answered: handled; `handed_off` when a person had to take it."""

    __tablename__ = "bot_conversation"

    bot_id: int = Field(foreign_key="bot.id", primary_key=True, ondelete="CASCADE")
    conversation_id: int = Field(foreign_key="conversation.id", primary_key=True, ondelete="CASCADE", index=True)
    first_at: datetime = Field(default_factory=utcnow)
    last_at: datetime = Field(default_factory=utcnow)
    handed_off: bool = Field(default=False)
    context: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JsonType, nullable=False))
    """What the bot collected and the last answer it gave (for the handoff's note and the stats)."""


class BotHandoff(SQLModel, table=True):
    """One handoff to a person, with its reason and the knowledge entry the bot answered last before it."""

    __tablename__ = "bot_handoff"
    __table_args__ = (Index("ix_bot_handoff_bot", "bot_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    bot_id: int = Field(foreign_key="bot.id", ondelete="CASCADE")
    conversation_id: int = Field(foreign_key="conversation.id", ondelete="CASCADE")
    reason: str = Field(max_length=20)
    detail: str | None = Field(default=None, max_length=300)
    knowledge_id: int | None = Field(default=None, foreign_key="knowledge_entry.id", ondelete="SET NULL")
    assignee_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
