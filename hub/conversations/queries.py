"""Reading the inbox: the conversation list and a thread, always scoped to what a user may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import tuple_
from sqlmodel import Session, col, select

from hub import search
from hub.agents.models import User
from hub.agents.service import can_see_conversations
from hub.conversations import teams
from hub.conversations.models import Conversation, Message
from hub.runtime.db import as_utc
from hub.tags.models import ConversationTag, Tag


@dataclass(frozen=True)
class ConversationFilter:
    status: str | None = None
    assignee: str | None = None  # "me", "none" or an agent id
    team_id: int | None = None
    channel_id: int | None = None
    tag: str | None = None
    q: str | None = None


def visible(*, session: Session, user: User, conversation_id: int) -> Conversation | None:
    """The conversation if this user may see it; None otherwise (callers answer 404)."""
    query = select(Conversation).where(col(Conversation.id) == conversation_id,
                                       can_see_conversations(session, user))
    return session.exec(query).first()


def list_conversations(
    *, session: Session, user: User, filters: ConversationFilter, limit: int = 50,
    after: tuple[datetime, int] | None = None,
) -> list[Conversation]:
    """Newest activity first, keyset-paginated on (last_activity_at, id)."""
    query = select(Conversation).where(can_see_conversations(session, user))
    if filters.status:
        query = query.where(col(Conversation.status) == filters.status)
    if filters.assignee == "me":
        query = query.where(col(Conversation.assignee_id) == user.id)
    elif filters.assignee == "none":
        query = query.where(col(Conversation.assignee_id).is_(None))
    elif filters.assignee:
        query = query.where(col(Conversation.assignee_id) == int(filters.assignee))
    if filters.team_id is not None:
        query = query.where(teams.in_team(filters.team_id))
    if filters.channel_id is not None:
        query = query.where(col(Conversation.channel_id) == filters.channel_id)
    if filters.tag:
        tagged = (select(ConversationTag.conversation_id).join(Tag, col(Tag.id) == ConversationTag.tag_id)
                  .where(col(Tag.name) == filters.tag))
        query = query.where(col(Conversation.id).in_(tagged))
    if filters.q and search.normalise(filters.q):
        query = query.where(col(Conversation.id).in_(search.matching_conversations(session, filters.q)))
    if after is not None:
        moment, row_id = as_utc(after[0]), after[1]
        # a row comparison starts the index scan at the cursor, so a deep page costs what the first does
        query = query.where(tuple_(col(Conversation.last_activity_at), col(Conversation.id)) < tuple_(moment, row_id))
    query = query.order_by(col(Conversation.last_activity_at).desc(), col(Conversation.id).desc()).limit(limit)
    return list(session.exec(query))


def in_thread_order(session: Session, query: Any, before_id: int | None, limit: int) -> list[Message]:
    """The latest `limit` messages of `query` in the customer's order (`occurred_at`, ties by arrival),
    those before message `before_id` in that order when it is given; oldest first."""
    if before_id is not None:
        anchor = session.get(Message, before_id)
        if anchor is None:
            return []
        moment = as_utc(anchor.occurred_at)
        query = query.where(tuple_(col(Message.occurred_at), col(Message.id)) < tuple_(moment, before_id))
    rows = list(session.exec(query.order_by(col(Message.occurred_at).desc(), col(Message.id).desc()).limit(limit)))
    rows.reverse()
    return rows


def thread(*, session: Session, conversation: Conversation, limit: int = 50, before_id: int | None = None
           ) -> list[Message]:
    """The latest `limit` messages (older ones with `before_id`), oldest first, in the customer's order."""
    query = select(Message).where(Message.conversation_id == conversation.id)
    return in_thread_order(session, query, before_id, limit)
