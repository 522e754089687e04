"""Journeys' tables: a flow and its versions, a contact's run through one version, what happened on the way
(the stats log) and the staff tasks a flow creates.

A run's state is its row: the node it is at, a `visit` counter that every applied step increments (the
compare-and-set that makes each step's effect happen once), and `due_at`, when its next step is due (a wait
is a due time on the row; the sweeper hands due rows to RQ). `live_contact_id` is the contact while a run
of a flow that allows one run per contact is active or waiting, NULL otherwise: a unique index on
(flow_id, live_contact_id) makes "one active run per contact per flow" hold under any concurrency.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from hub.runtime.db import utcnow
from hub.types import JsonType


class FlowStatus(StrEnum):
    draft = "draft"
    published = "published"
    unpublished = "unpublished"


class RunStatus(StrEnum):
    active = "active"
    waiting = "waiting"
    completed = "completed"
    exited = "exited"
    converted = "converted"
    cancelled = "cancelled"
    failed = "failed"


LIVE = (RunStatus.active.value, RunStatus.waiting.value)


class TaskStatus(StrEnum):
    open = "open"
    done = "done"


class Flow(SQLModel, table=True):
    """An automation: its newest version is the draft; `published_version` is the one new runs start on."""

    __tablename__ = "flow"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    description: str = Field(default="", max_length=2000)
    status: str = Field(default=FlowStatus.draft.value, max_length=20)
    draft_version: int = Field(default=1)
    published_version: int | None = None
    trigger_type: str | None = Field(default=None, max_length=40, index=True)
    """The published version's trigger (NULL unless published): what a trigger's listener looks up."""
    created_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class FlowVersion(SQLModel, table=True):
    """One saved definition of a flow; never changed once a run may be on it (an edit makes a new one)."""

    __tablename__ = "flow_version"
    __table_args__ = (UniqueConstraint("flow_id", "version", name="uq_flow_version"),)

    id: int | None = Field(default=None, primary_key=True)
    flow_id: int = Field(foreign_key="flow.id", ondelete="CASCADE")
    version: int
    definition: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JsonType, nullable=False))
    created_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    published_at: datetime | None = None


class FlowRun(SQLModel, table=True):
    """A contact's way through one version of a flow."""

    __tablename__ = "flow_run"
    __table_args__ = (
        UniqueConstraint("flow_id", "entry_key", name="uq_flow_run_entry"),
        UniqueConstraint("flow_id", "live_contact_id", name="uq_flow_run_live_contact"),
        Index("ix_flow_run_due", "status", "due_at"),
        Index("ix_flow_run_contact", "contact_id", "status"),
        Index("ix_flow_run_flow", "flow_id", "status", "id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    flow_id: int = Field(foreign_key="flow.id", ondelete="CASCADE")
    version: int
    contact_id: int = Field(foreign_key="contact.id", ondelete="CASCADE")
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id", ondelete="SET NULL")
    status: str = Field(default=RunStatus.active.value, max_length=20)
    node_id: str | None = Field(default=None, max_length=64)
    visit: int = Field(default=0)
    due_at: datetime | None = None
    lease_until: datetime | None = None
    """Handed to RQ until then: the sweeper does not hand it again before (a lost job is handed again after)."""
    entry_key: str | None = Field(default=None, max_length=200)
    live_contact_id: int | None = None
    exit_reason: str | None = Field(default=None, max_length=60)
    test: bool = Field(default=False)
    context: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JsonType, nullable=False))
    goal_until: datetime | None = None
    started_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    ended_at: datetime | None = None


class FlowEvent(SQLModel, table=True):
    """One thing that happened in a run (entered, passed a port, skipped, sent, exited, converted): the stats
    are counts over these rows, written in the same transaction as the step, so they count each step once."""

    __tablename__ = "flow_event"
    __table_args__ = (
        Index("ix_flow_event_flow", "flow_id", "kind"),
        Index("ix_flow_event_contact", "contact_id", "kind", "at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    flow_id: int = Field(foreign_key="flow.id", ondelete="CASCADE")
    run_id: int = Field(foreign_key="flow_run.id", ondelete="CASCADE")
    contact_id: int = Field(foreign_key="contact.id", ondelete="CASCADE")
    node_id: str | None = Field(default=None, max_length=64)
    kind: str = Field(max_length=20)
    port: str | None = Field(default=None, max_length=80)
    reason: str | None = Field(default=None, max_length=60)
    amount_minor: int | None = None
    currency: str | None = Field(default=None, max_length=3)
    at: datetime = Field(default_factory=utcnow)


class Task(SQLModel, table=True):
    """Work for staff a flow asked for ("call this sleeping regular"), listed in the inbox."""

    __tablename__ = "flow_task"

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    """The step that made it (`run:node:visit`): a step applied twice makes one task."""
    title: str = Field(max_length=500)
    contact_id: int = Field(foreign_key="contact.id", ondelete="CASCADE", index=True)
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id", ondelete="SET NULL")
    agent_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL", index=True)
    team_id: int | None = Field(default=None, foreign_key="team.id", ondelete="SET NULL")
    due_at: datetime | None = None
    status: str = Field(default=TaskStatus.open.value, max_length=20)
    flow_id: int | None = Field(default=None, foreign_key="flow.id", ondelete="SET NULL")
    run_id: int | None = Field(default=None, foreign_key="flow_run.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    done_at: datetime | None = None
    done_by: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")


class FlowSegmentMember(SQLModel, table=True):
    """A contact in a `segment_entered` flow's segment at its last check: entering is a change from out to in
    (each one a new entry, `entries`), so a contact who leaves and comes back starts again."""

    __tablename__ = "flow_segment_member"

    flow_id: int = Field(foreign_key="flow.id", ondelete="CASCADE", primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", ondelete="CASCADE", primary_key=True)
    segment_id: int
    member: bool = Field(default=True)
    entries: int = Field(default=1)
    changed_at: datetime = Field(default_factory=utcnow)
