"""Conversations and their messages, with each message's delivery timeline."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Column, Index, UniqueConstraint
from sqlmodel import Field, SQLModel

from hub.privacy.cards import MaskedText
from hub.runtime.db import utcnow
from hub.types import JsonType


class ConversationStatus(StrEnum):
    open = "open"
    pending = "pending"
    snoozed = "snoozed"
    resolved = "resolved"


class AutomationMode(StrEnum):
    """Who answers the customer: the bot, or a person (then no automated reply of any kind goes out)."""

    bot = "bot"
    human = "human"


class MessageStatus(StrEnum):
    received = "received"
    queued = "queued"
    sending = "sending"
    sent = "sent"
    delivered = "delivered"
    read = "read"
    failed = "failed"
    unknown = "unknown"
    """The provider was called and never said whether it took the message (a timeout, or a worker that died
    after the call). Never sent again by itself: a receipt settles it, or a person resends it."""


STATUS_RANK: dict[str, int] = {
    "received": 0, "queued": 1, "sending": 2, "unknown": 2, "sent": 3, "delivered": 4, "read": 5, "failed": 6,
}
"""A receipt applies only when it moves a message up this order; `failed` is final."""


class Conversation(SQLModel, table=True):
    """One thread between a contact and one channel. A resolved one reopens on the next message."""

    __tablename__ = "conversation"
    __table_args__ = (
        UniqueConstraint("contact_id", "channel_id", name="uq_conversation_contact_channel"),
        Index("ix_conversation_status_activity", "status", "last_activity_at"),
        Index("ix_conversation_team_status_activity", "team_id", "status", "last_activity_at"),
        Index("ix_conversation_assignee_status_activity", "assignee_id", "status", "last_activity_at"),
        Index("ix_conversation_channel_status_activity", "channel_id", "status", "last_activity_at"),
        Index("ix_conversation_activity", "last_activity_at", "id"),  # the list with no status filter
    )

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", ondelete="CASCADE")
    channel_id: int = Field(foreign_key="channel.id", ondelete="CASCADE")
    status: str = Field(default=ConversationStatus.open.value, max_length=20)
    assignee_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    team_id: int | None = Field(default=None, foreign_key="team.id", ondelete="SET NULL")
    snoozed_until: datetime | None = None
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    last_activity_at: datetime = Field(default_factory=utcnow)
    last_inbound_at: datetime | None = None
    unread_count: int = Field(default=0)
    automation_mode: str = Field(default=AutomationMode.human.value, max_length=10,
                                 sa_column_kwargs={"server_default": AutomationMode.human.value})
    """`bot` or `human` (`AutomationMode`): in `human` mode the delivery engine sends no bot message."""
    handed_off_at: datetime | None = None
    """When a bot last handed the conversation to a person: the first-response clock starts there."""
    created_at: datetime = Field(default_factory=utcnow)


class Message(SQLModel, table=True):
    __tablename__ = "message"
    __table_args__ = (
        UniqueConstraint("channel_id", "provider_message_id", name="uq_message_channel_provider_id"),
        UniqueConstraint("conversation_id", "client_key", name="uq_message_conversation_client_key"),
        Index("ix_message_conversation_id", "conversation_id", "id"),
        Index("ix_message_conversation_occurred", "conversation_id", "occurred_at", "id"),  # the thread's order
    )

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", ondelete="CASCADE")
    channel_id: int = Field(foreign_key="channel.id", ondelete="CASCADE")
    direction: str = Field(max_length=10)  # inbound | outbound
    kind: str = Field(default="text", max_length=20)
    text: str | None = Field(default=None, sa_column=Column(MaskedText()))  # card numbers masked
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JsonType, nullable=False))
    provider_message_id: str | None = Field(default=None, max_length=200)
    status: str = Field(default=MessageStatus.queued.value, max_length=20)
    error_code: str | None = Field(default=None, max_length=40)
    error_reason: str | None = Field(default=None, max_length=500)
    author_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    client_key: str | None = Field(default=None, max_length=100)
    """The sender's reference: the same key in a conversation is the same message (`broadcast:{recipient}`)."""
    sender: str = Field(default="reply", max_length=20, sa_column_kwargs={"server_default": "reply"})
    """Who queued it (`hub.outbound.Sender`): reply, broadcast, flow, bot or system."""
    attempts: int = Field(default=0)
    lease_until: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)
    occurred_at: datetime = Field(default_factory=utcnow, sa_column_kwargs={"default": utcnow})
    """When it happened for the customer: the provider's timestamp of an inbound message (never later than
    its arrival), the moment an outbound one was queued. Threads are in this order, ties by arrival (id)."""
    sent_at: datetime | None = None
    delivered_at: datetime | None = None
    read_at: datetime | None = None
    failed_at: datetime | None = None


class ActivityKind(StrEnum):
    assigned = "assigned"
    reassigned = "reassigned"
    unassigned = "unassigned"
    tagged = "tagged"
    untagged = "untagged"
    contact_tagged = "contact_tagged"
    resolved = "resolved"
    reopened = "reopened"
    pending = "pending"
    snoozed = "snoozed"
    team_changed = "team_changed"
    to_bot = "to_bot"
    to_human = "to_human"


class ActorKind(StrEnum):
    agent = "agent"
    rule = "rule"
    classifier = "classifier"
    policy = "policy"
    customer = "customer"
    system = "system"
    bot = "bot"


class ConversationActivity(SQLModel, table=True):
    """One line of what happened to a conversation (not a message): who or what did it, and why.

    Written in the same transaction as the change it records, so the thread's history never misses one."""

    __tablename__ = "conversation_activity"
    __table_args__ = (Index("ix_conversation_activity_conversation", "conversation_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    conversation_id: int = Field(foreign_key="conversation.id", ondelete="CASCADE")
    kind: str = Field(max_length=20)
    actor: str = Field(max_length=20)  # an ActorKind
    agent_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    rule_id: int | None = None  # no foreign key: a deleted rule's lines keep its name
    rule_name: str | None = Field(default=None, max_length=100)
    confidence: float | None = None
    policy: str | None = Field(default=None, max_length=40)
    tag: str | None = Field(default=None, max_length=100)
    assignee_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    team_id: int | None = Field(default=None, foreign_key="team.id", ondelete="SET NULL")
    reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)


class PendingReceipt(SQLModel, table=True):
    """A receipt that arrived before its message was stored; applied when the message is."""

    __tablename__ = "pending_receipt"
    __table_args__ = (Index("ix_pending_receipt_lookup", "channel_id", "provider_message_id"),)

    id: int | None = Field(default=None, primary_key=True)
    channel_id: int = Field(foreign_key="channel.id", ondelete="CASCADE")
    provider_message_id: str = Field(max_length=200)
    status: str = Field(max_length=20)
    at: datetime
    error_code: str | None = Field(default=None, max_length=40)
    error_reason: str | None = Field(default=None, max_length=500)
    created_at: datetime = Field(default_factory=utcnow)
