"""Assignment settings and history: agent profiles, policies per team or channel, and who got what."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Column, Index
from sqlmodel import Field, SQLModel

from hub.runtime.db import utcnow
from hub.types import JsonType


class PolicyKind(StrEnum):
    round_robin = "round_robin"
    least_loaded = "least_loaded"
    sticky = "sticky"
    skill = "skill"


MANUAL = "manual"
"""The `assignment_source` of a conversation a person assigned: automation never touches it."""


class AgentProfile(SQLModel, table=True):
    """What the assignment policies know about an agent. Its row is also the agent's lock."""

    __tablename__ = "agent_profile"

    user_id: int = Field(foreign_key="users.id", primary_key=True, ondelete="CASCADE")
    capacity: int = Field(default=5)
    skills: list[str] = Field(default_factory=list, sa_column=Column(JsonType, nullable=False))
    languages: list[str] = Field(default_factory=list, sa_column=Column(JsonType, nullable=False))
    last_assigned_at: datetime | None = None


class AssignmentPolicy(SQLModel, table=True):
    """How new conversations of one channel, or of one team's channels, find an agent."""

    __tablename__ = "assignment_policy"
    __table_args__ = (
        CheckConstraint("(team_id IS NULL) <> (channel_id IS NULL)", name="ck_assignment_policy_one_scope"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: int | None = Field(default=None, foreign_key="team.id", ondelete="CASCADE", unique=True)
    channel_id: int | None = Field(default=None, foreign_key="channel.id", ondelete="CASCADE", unique=True)
    kind: str = Field(default=PolicyKind.least_loaded.value, max_length=20)
    enabled: bool = Field(default=True)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class TeamPolicy(SQLModel, table=True):
    """A team's first-response deadline and opening hours (`weekly_hours` None: always open)."""

    __tablename__ = "team_policy"

    team_id: int = Field(foreign_key="team.id", primary_key=True, ondelete="CASCADE")
    first_response_minutes: int | None = None
    timezone: str = Field(default="UTC", max_length=64)
    weekly_hours: dict[str, Any] | None = Field(default=None, sa_column=Column(JsonType, nullable=True))
    updated_at: datetime = Field(default_factory=utcnow)


class ConversationAssignment(SQLModel, table=True):
    """Who holds a conversation now and why: `manual`, or `policy:<kind>` (only those move on)."""

    __tablename__ = "conversation_assignment"
    __table_args__ = (Index("ix_conversation_assignment_deadline", "deadline_at"),)

    conversation_id: int = Field(foreign_key="conversation.id", primary_key=True, ondelete="CASCADE")
    assignee_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL", index=True)
    assignment_source: str = Field(max_length=40)
    assigned_at: datetime = Field(default_factory=utcnow)
    deadline_at: datetime | None = None


class AssignmentRecord(SQLModel, table=True):
    """One line of a conversation's assignment history, for its activity and for reports."""

    __tablename__ = "assignment_record"
    __table_args__ = (Index("ix_assignment_record_conversation", "conversation_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", ondelete="CASCADE")
    assignee_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    policy: str = Field(max_length=40)
    reason: str = Field(max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
