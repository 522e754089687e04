"""Tag rules, the shop's business hours, the rules' version counter and the classifier's suggestions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Column, UniqueConstraint
from sqlmodel import Field, SQLModel

from hub.runtime.db import utcnow
from hub.types import JsonType


class TagRule(SQLModel, table=True):
    """Conditions (see `hub.tagging.rules`) and the tags to apply when they hold."""

    __tablename__ = "tag_rule"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100, unique=True)
    enabled: bool = Field(default=True)
    match: str = Field(default="all", max_length=10)  # all | any: how the conditions combine
    conditions: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JsonType, nullable=False))
    actions: list[dict[str, Any]] = Field(default_factory=list, sa_column=Column(JsonType, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class TagRuleVersion(SQLModel, table=True):
    """One row, bumped with every change to the rules or the shop's hours in the same transaction:
    each process recompiles its cached rules when the number it holds is no longer current."""

    __tablename__ = "tag_rule_version"

    id: int = Field(default=1, primary_key=True)
    version: int = Field(default=0)
    changed_at: datetime = Field(default_factory=utcnow)


class BusinessHours(SQLModel, table=True):
    """The shop-wide opening hours (one row). A team's own hours live in `hub.assignment`'s
    `TeamPolicy` and win for that team's channels; both use `hub.assignment.hours` schedules."""

    __tablename__ = "business_hours"

    id: int = Field(default=1, primary_key=True)
    timezone: str = Field(default="UTC", max_length=64)
    weekly_hours: dict[str, Any] | None = Field(default=None, sa_column=Column(JsonType, nullable=True))
    updated_at: datetime = Field(default_factory=utcnow)


class TagSuggestion(SQLModel, table=True):
    """The classifier's newest guess that a conversation is about a tag (one per conversation and tag)."""

    __tablename__ = "tag_suggestion"
    __table_args__ = (UniqueConstraint("conversation_id", "tag_id", name="uq_tag_suggestion_conversation_tag"),)

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", ondelete="CASCADE")
    message_id: int = Field(foreign_key="message.id", ondelete="CASCADE", index=True)
    tag_id: int = Field(foreign_key="tag.id", ondelete="CASCADE", index=True)
    confidence: float
    model_version: str = Field(max_length=40)
    created_at: datetime = Field(default_factory=utcnow)
