"""Surveys (one per resolution asked about) and the settings that say when to ask."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import CheckConstraint, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from hub.runtime.db import utcnow


class SurveyStatus(StrEnum):
    scheduled = "scheduled"
    """Waiting for the setting's delay after the resolution; nothing was sent yet."""
    sent = "sent"
    answered = "answered"
    not_sent = "not_sent"
    """Hub did not ask (outside WhatsApp's window without a template, opted out, reopened first): see `reason`."""


class CsatSurvey(SQLModel, table=True):
    """One rating request in one conversation, and its answer. `trigger` says what asked for it
    (`resolved:<moment>` or `request:<moment>`): the same trigger is the same survey, so a job run twice asks once."""

    __tablename__ = "csat_survey"
    __table_args__ = (
        UniqueConstraint("conversation_id", "trigger", name="uq_csat_survey_conversation_trigger"),
        Index("ix_csat_survey_status_due", "status", "due_at"),
        Index("ix_csat_survey_conversation", "conversation_id", "id"),
        Index("ix_csat_survey_sent_at", "sent_at"),
        CheckConstraint("rating IS NULL OR (rating >= 1 AND rating <= 5)", name="ck_csat_survey_rating"),
    )

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", ondelete="CASCADE")
    channel_id: int = Field(foreign_key="channel.id", ondelete="CASCADE")
    agent_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    """The agent assigned when the request was sent: the one credited with the rating."""
    team_id: int | None = Field(default=None, foreign_key="team.id", ondelete="SET NULL")
    trigger: str = Field(max_length=60)
    locale: str | None = Field(default=None, max_length=10)
    status: str = Field(default=SurveyStatus.scheduled.value, max_length=20)
    reason: str | None = Field(default=None, max_length=300)
    due_at: datetime = Field(default_factory=utcnow)
    sent_at: datetime | None = None
    message_id: int | None = Field(default=None, foreign_key="message.id", ondelete="SET NULL")
    rating: int | None = None
    comment: str | None = Field(default=None, max_length=2000)
    answered_at: datetime | None = None
    commented_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class CsatSetting(SQLModel, table=True):
    """When to ask, for one team or one channel (exactly one of the two). A channel's setting wins over its
    team's; with neither, Hub does not ask."""

    __tablename__ = "csat_setting"
    __table_args__ = (
        CheckConstraint("(team_id IS NULL) <> (channel_id IS NULL)", name="ck_csat_setting_scope"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: int | None = Field(default=None, foreign_key="team.id", ondelete="CASCADE", unique=True)
    channel_id: int | None = Field(default=None, foreign_key="channel.id", ondelete="CASCADE", unique=True)
    enabled: bool = Field(default=True)
    delay_minutes: int = Field(default=0)
    """How long after the resolution to ask (0: at once)."""
    answer_hours: int = Field(default=24)
    """How long a rating is taken after the request."""
    template_name: str | None = Field(default=None, max_length=200)
    """A WhatsApp template to ask with outside the 24-hour window (its own buttons); without one, not sent."""
    template_language: str | None = Field(default=None, max_length=20)
    updated_at: datetime = Field(default_factory=utcnow)
