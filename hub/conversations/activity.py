"""A conversation's activity lines: who or what assigned, tagged, resolved or reopened it, and why.

Each line is added in the transaction of the change it records (next to the event live views get),
so what the thread shows over HTTP is what happened, whether or not anyone was watching live.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from hub.agents.models import Team, User
from hub.conversations.models import ActivityKind, ActorKind, ConversationActivity
from hub.runtime.db import utcnow
from hub.tags.details import source_kind

_ACTOR_OF_SOURCE = {"agent": ActorKind.agent, "rule": ActorKind.rule, "classifier": ActorKind.classifier,
                    "system": ActorKind.system}


@dataclass(frozen=True)
class Actor:
    """Who or what did it: an agent, a tag rule, the classifier, an assignment policy, the customer, or Hub."""

    kind: ActorKind
    agent_id: int | None = None
    rule_id: int | None = None
    rule_name: str | None = None
    confidence: float | None = None
    policy: str | None = None

    @classmethod
    def agent(cls, agent_id: int | None) -> Actor:
        return cls(ActorKind.agent, agent_id=agent_id) if agent_id is not None else cls(ActorKind.system)

    @classmethod
    def of_tagging(cls, source: str, details: dict[str, Any]) -> Actor:
        """The actor behind a tag's stored `source` and the details that came with it."""
        kind = _ACTOR_OF_SOURCE[source_kind(source)]
        return cls(kind, agent_id=details.get("agent_id"), rule_id=details.get("rule_id"),
                   rule_name=str(details["rule"])[:100] if details.get("rule") else None,
                   confidence=details.get("confidence"))


SYSTEM = Actor(ActorKind.system)
CUSTOMER = Actor(ActorKind.customer)


def record(session: Session, *, conversation_id: int, kind: ActivityKind, actor: Actor, tag: str | None = None,
           assignee_id: int | None = None, team_id: int | None = None, reason: str | None = None) -> None:
    """Add one line in the caller's transaction."""
    session.add(ConversationActivity(
        conversation_id=conversation_id, kind=kind.value, actor=actor.kind.value, agent_id=actor.agent_id,
        rule_id=actor.rule_id, rule_name=actor.rule_name, confidence=actor.confidence, policy=actor.policy,
        tag=tag, assignee_id=assignee_id, team_id=team_id, reason=reason[:500] if reason else None))


def lines(session: Session, *, conversation_id: int, limit: int = 200) -> list[ConversationActivity]:
    """The latest `limit` lines of a conversation, oldest first."""
    rows = list(session.exec(select(ConversationActivity).where(ConversationActivity.conversation_id == conversation_id)
                             .order_by(col(ConversationActivity.id).desc()).limit(limit)))
    rows.reverse()
    return rows


def record_many(session: Session, *, conversation_ids: list[int], kind: ActivityKind, actor: Actor,
                reason: str | None = None) -> None:
    """The same line on many conversations in one INSERT (a batch reopened, snoozes woken)."""
    if not conversation_ids:
        return
    now = utcnow()
    session.execute(insert(ConversationActivity), [
        {"conversation_id": cid, "kind": kind.value, "actor": actor.kind.value, "agent_id": actor.agent_id,
         "rule_id": actor.rule_id, "rule_name": actor.rule_name, "confidence": actor.confidence,
         "policy": actor.policy, "tag": None, "assignee_id": None, "team_id": None, "reason": reason, "created_at": now}
        for cid in conversation_ids])


def user_names(session: Session, ids: set[int]) -> dict[int, str]:
    """Agents' names for the lines that mention them."""
    if not ids:
        return {}
    return {int(i): str(name) for i, name in session.execute(select(User.id, User.name).where(col(User.id).in_(ids)))}


def team_names(session: Session, ids: set[int]) -> dict[int, str]:
    """Teams' names for the lines that mention them."""
    if not ids:
        return {}
    return {int(i): str(name) for i, name in session.execute(select(Team.id, Team.name).where(col(Team.id).in_(ids)))}
