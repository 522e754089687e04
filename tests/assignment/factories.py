"""Helpers for the assignment tests: a team of agents on a channel, conversations, policies."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, update
from sqlmodel import col, select

from hub.agents.models import User
from hub.assignment.models import AgentProfile, AssignmentPolicy, AssignmentRecord, TeamPolicy
from hub.contacts.models import Contact
from hub.conversations.models import Conversation
from hub.ingest.service import receive
from hub.runtime.db import session_scope, utcnow
from tests.factories import inbound, make_channel, make_team, make_user


@dataclass
class Desk:
    """One team with its agents on one channel."""

    team_id: int
    channel_id: int
    agents: dict[str, int]


def desk(names: list[str], team: str = "Support", kind: str = "sms_twilio", online: bool = True,
         capacity: int = 5) -> Desk:
    team_id = make_team(team)
    channel = make_channel(kind, f"{team} {kind}", team_ids=[team_id])
    agents = {}
    for name in names:
        user = make_user(f"{name}@{team.lower().replace(' ', '-')}.test", team_ids=[team_id])
        assert user.id is not None
        agents[name] = user.id
        profile(user.id, capacity=capacity)
    set_online(*agents.values(), online=online)
    assert channel.id is not None
    return Desk(team_id, channel.id, agents)


def set_online(*user_ids: int, online: bool = True) -> None:
    with session_scope() as session:
        session.execute(update(User).where(col(User.id).in_(user_ids)).values(online=online))


def profile(user_id: int, **values: Any) -> None:
    with session_scope() as session:
        row = session.get(AgentProfile, user_id) or AgentProfile(user_id=user_id)
        for name, value in values.items():
            setattr(row, name, value)
        session.add(row)


def policy(kind: str, team_id: int | None = None, channel_id: int | None = None) -> int:
    with session_scope() as session:
        row = AssignmentPolicy(kind=kind, team_id=team_id, channel_id=channel_id)
        session.add(row)
        session.flush()
        assert row.id is not None
        return row.id


def team_policy(team_id: int, **values: Any) -> None:
    with session_scope() as session:
        row = session.get(TeamPolicy, team_id) or TeamPolicy(team_id=team_id)
        for name, value in values.items():
            setattr(row, name, value)
        session.add(row)


_phones = iter(range(1_000, 9_999))


def arrive(channel_id: int, text: str = "Hello, is this in stock?", phone: str | None = None) -> int:
    """A customer writes: the conversation it opened or continued."""
    number = phone or f"+1415555{next(_phones):04d}"
    with session_scope() as session:
        message = receive(session=session, channel_id=channel_id,
                          inbound=inbound(f"m-{number}-{next(_phones)}", number, text, "Customer"))
        assert message is not None
        return message.conversation_id


def many_conversations(channel_id: int, count: int) -> list[int]:
    """`count` open, unassigned conversations at once (oldest first), without the ingest path."""
    now = utcnow()
    with session_scope() as session:
        contacts = session.execute(insert(Contact).returning(col(Contact.id), sort_by_parameter_order=True),
                                   [{"name": f"c{n}", "custom_fields": {}, "created_at": now, "updated_at": now}
                                    for n in range(count)]).scalars().all()
        rows = [{"contact_id": cid, "channel_id": channel_id, "status": "open", "unread_count": 1,
                 "last_activity_at": now - timedelta(seconds=count - n), "created_at": now}
                for n, cid in enumerate(contacts)]
        ids = session.execute(insert(Conversation).returning(col(Conversation.id), sort_by_parameter_order=True),
                              rows).scalars().all()
    return [int(i) for i in ids]


def assignee(conversation_id: int) -> int | None:
    with session_scope() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        return conversation.assignee_id


def records(conversation_id: int) -> list[AssignmentRecord]:
    with session_scope() as session:
        return list(session.exec(select(AssignmentRecord).where(AssignmentRecord.conversation_id == conversation_id)
                                 .order_by(col(AssignmentRecord.id))))


def loads() -> dict[int, int]:
    with session_scope() as session:
        rows = session.execute(select(Conversation.assignee_id, func.count()).where(
            col(Conversation.assignee_id).is_not(None), Conversation.status == "open")
            .group_by(col(Conversation.assignee_id)))
        return {int(a): int(n) for a, n in rows}


def resolve(*conversation_ids: int) -> None:
    with session_scope() as session:
        session.execute(update(Conversation).where(col(Conversation.id).in_(conversation_ids))
                        .values(status="resolved", resolved_at=utcnow()))
