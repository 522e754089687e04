"""Auto-assignment: give a waiting conversation to an agent, hand one on, or take a person's choice.

Safe under concurrency. A decision locks every candidate's profile row (see `candidates`), counts
their open conversations inside the same transaction, and claims the conversation with
`UPDATE … WHERE assignee_id IS NULL` (or `= the agent it is taken from`): an agent is never given
more than their capacity, and a conversation is never given twice, however many decisions run at
once. The caller commits (jobs use `session_scope`), which releases the locks.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Exists, and_, delete, exists, insert, or_, update
from sqlmodel import Session, col, select

from hub.agents.models import User
from hub.assignment import candidates as found
from hub.assignment.models import MANUAL, AgentProfile, AssignmentPolicy, AssignmentRecord, ConversationAssignment
from hub.assignment.policies import choose
from hub.audit import service as audit
from hub.conversations import activity, automation
from hub.conversations.models import ActivityKind, ActorKind, AutomationMode, Conversation, Message
from hub.conversations.teams import in_teams
from hub.runtime import events, upsert
from hub.runtime.db import utcnow

OPEN = found.OPEN
Status = Literal["assigned", "released", "waiting", "skipped"]


@dataclass(frozen=True)
class Outcome:
    """What one decision did. `nobody_available`: no agent allowed here can take anything now."""

    conversation_id: int
    status: Status
    reason: str
    assignee_id: int | None = None
    policy: str | None = None
    nobody_available: bool = False


def assign(*, session: Session, conversation_id: int, now: datetime | None = None) -> Outcome:
    """Give an open, unassigned conversation to the agent its policy picks, or leave it waiting."""
    now = now or utcnow()
    conversation = session.get(Conversation, conversation_id, populate_existing=True)
    if conversation is None or conversation.status != OPEN:
        return Outcome(conversation_id, "skipped", "the conversation is not open")
    if conversation.assignee_id is not None:
        return Outcome(conversation_id, "skipped", "the conversation has an assignee already",
                       assignee_id=conversation.assignee_id)
    if conversation.automation_mode == AutomationMode.bot.value:
        return Outcome(conversation_id, "skipped", "a bot answers the conversation until it hands it off")
    scope = found.scope_of(session, conversation)
    if scope is None:
        return Outcome(conversation_id, "skipped", "no assignment policy applies to this conversation")
    return _decide(session, conversation, scope, now, taken_from=None, why="")


def hand_on(*, session: Session, conversation_id: int, because: Literal["offline", "deadline"],
            now: datetime | None = None) -> Outcome:
    """Move a conversation a policy gave to an agent who went offline or did not answer in time.

    Only conversations a policy assigned move; a person's choice stays. With nobody else to take it,
    an offline agent's conversation goes back to the queue; a late one stays where it is.
    """
    now = now or utcnow()
    conversation = session.get(Conversation, conversation_id, populate_existing=True)
    # The state row is locked first, here and by a person assigning: their choice cannot slip in
    # between this check and the move.
    state = session.get(ConversationAssignment, conversation_id, populate_existing=True, with_for_update=True)
    if (conversation is None or state is None or conversation.status != OPEN or conversation.assignee_id is None
            or not state.assignment_source.startswith("policy:") or state.assignee_id != conversation.assignee_id):
        return Outcome(conversation_id, "skipped", "the conversation is not held by a policy's choice")
    current = conversation.assignee_id
    holder = session.get(User, current, populate_existing=True)
    name = holder.name if holder else f"agent {current}"
    if because == "offline":
        if holder is not None and holder.online:
            return Outcome(conversation_id, "skipped", f"{name} is online again")
        why = f"{name} went offline"
    else:
        if state.deadline_at is None or state.deadline_at > now or _answered(session, conversation_id,
                                                                              state.assigned_at):
            return Outcome(conversation_id, "skipped", "no deadline has passed unanswered")
        minutes = round((state.deadline_at - state.assigned_at).total_seconds() / 60)
        why = f"{name} did not reply within {minutes} minutes"
    scope = found.scope_of(session, conversation)
    if scope is None:
        if because == "deadline":
            return Outcome(conversation_id, "skipped", "no assignment policy applies any more")
        return _release(session, conversation, state.assignment_source, current, f"{why}; no policy applies now")
    return _decide(session, conversation, scope, now, taken_from=current, why=why,
                   release_if_nobody=because == "offline")


def _decide(session: Session, conversation: Conversation, scope: found.Scope, now: datetime, *,
            taken_from: int | None, why: str, release_if_nobody: bool = False) -> Outcome:
    assert conversation.id is not None
    exclude = frozenset() if taken_from is None else frozenset({taken_from})
    need = found.need_of(session, conversation, scope.policy.kind, exclude)
    allowed = found.allowed_agents(session, scope.team_ids)
    pool = found.lock_candidates(session, allowed, now)
    choice = choose(scope.policy.kind, pool, need)
    nobody = not any(c.available for c in pool if c.user_id not in exclude)
    reason = f"{why}; {choice.reason}" if why else choice.reason
    if choice.user_id is None:
        if release_if_nobody and taken_from is not None:
            return _release(session, conversation, scope.source, taken_from, reason)
        return Outcome(conversation.id, "waiting", reason, policy=scope.policy.kind, nobody_available=nobody)
    if not _claim(session, conversation.id, choice.user_id, taken_from):
        return Outcome(conversation.id, "skipped", "another decision took this conversation first")
    chosen = next(c for c in pool if c.user_id == choice.user_id)
    minutes = found.deadline_minutes(allowed.teams_of.get(chosen.user_id, set()), allowed.settings)
    profiles = AgentProfile.__table__  # type: ignore[attr-defined]
    session.execute(update(profiles).where(profiles.c.user_id == chosen.user_id).values(last_assigned_at=now))
    _remember(session, conversation.id, chosen.user_id, scope.source, now,
              now + timedelta(minutes=minutes) if minutes else None)
    _announce(session, conversation.id, chosen.user_id, scope.policy.kind, reason, actor_id=None,
              source=scope.source, previous=taken_from)
    return Outcome(conversation.id, "assigned", reason, assignee_id=chosen.user_id, policy=scope.policy.kind)


def _claim(session: Session, conversation_id: int, user_id: int | None, taken_from: int | None) -> bool:
    """Set the assignee only if nobody changed it since we looked: the guard against double assignment."""
    table = Conversation.__table__  # type: ignore[attr-defined]
    held = table.c.assignee_id.is_(None) if taken_from is None else table.c.assignee_id == taken_from
    result = session.execute(update(table).where(table.c.id == conversation_id, table.c.status == OPEN, held)
                             .values(assignee_id=user_id))
    return bool(result.rowcount == 1)  # type: ignore[attr-defined]


def _remember(session: Session, conversation_id: int, user_id: int | None, source: str, now: datetime,
              deadline: datetime | None) -> None:
    """Who holds the conversation now, and why (one upsert)."""
    values = {"assignee_id": user_id, "assignment_source": source, "assigned_at": now, "deadline_at": deadline}
    table = ConversationAssignment.__table__  # type: ignore[attr-defined]
    upsert(session, table, [{"conversation_id": conversation_id, **values}], key=["conversation_id"],
           update=list(values))


def _forget(session: Session, conversation_id: int) -> None:
    """Nobody holds the conversation: it is in the queue again."""
    table = ConversationAssignment.__table__  # type: ignore[attr-defined]
    session.execute(delete(table).where(table.c.conversation_id == conversation_id))


def _announce(session: Session, conversation_id: int, user_id: int | None, policy: str, reason: str, *,
              actor_id: int | None, source: str, previous: int | None = None) -> None:
    """The history line, the audit entry, the thread's activity line and the event live views follow."""
    if user_id is None:
        kind = ActivityKind.unassigned
    else:
        kind = ActivityKind.reassigned if previous is not None and previous != user_id else ActivityKind.assigned
    actor = (activity.Actor.agent(actor_id) if source == MANUAL
             else activity.Actor(ActorKind.policy, policy=policy[:40]))
    activity.record(session, conversation_id=conversation_id, kind=kind, actor=actor, assignee_id=user_id,
                    reason=reason)
    session.execute(insert(AssignmentRecord.__table__).values(  # type: ignore[attr-defined]
        conversation_id=conversation_id, assignee_id=user_id, policy=policy, reason=reason[:500], created_at=utcnow()))
    audit.record(session=session, actor_id=actor_id, action="conversation.assigned" if user_id else
                 "conversation.unassigned", target_type="conversation", target_id=conversation_id,
                 details={"assignee_id": user_id, "source": source, "reason": reason[:500]})
    events.emit(session, events.CONVERSATION_UPDATED, conversation_id=conversation_id, assignee_id=user_id,
                source=source, reason=reason)


def _release(session: Session, conversation: Conversation, source: str, taken_from: int, reason: str) -> Outcome:
    assert conversation.id is not None
    if not _claim(session, conversation.id, None, taken_from):
        return Outcome(conversation.id, "skipped", "another decision moved this conversation first")
    _forget(session, conversation.id)
    policy = source.removeprefix("policy:")
    _announce(session, conversation.id, None, policy, f"{reason}; back in the queue", actor_id=None, source=source)
    return Outcome(conversation.id, "released", reason, policy=policy)


def assign_manually(*, session: Session, conversation: Conversation, assignee_id: int | None, actor: User) -> None:
    """A person's choice, which automation never overrides (None puts it back in the queue)."""
    assert conversation.id is not None
    session.execute(select(ConversationAssignment.conversation_id)
                    .where(ConversationAssignment.conversation_id == conversation.id).with_for_update())
    previous = conversation.assignee_id
    session.execute(update(Conversation).where(col(Conversation.id) == conversation.id)
                    .values(assignee_id=assignee_id))
    if assignee_id is None:
        _forget(session, conversation.id)
        reason = f"unassigned by {actor.name}"
    else:
        _remember(session, conversation.id, assignee_id, MANUAL, utcnow(), None)
        reason = f"assigned by {actor.name}"
        automation.person_takes(session=session, conversation_id=conversation.id, agent_id=actor.id,
                                reason=reason)
    _announce(session, conversation.id, assignee_id, MANUAL, reason, actor_id=actor.id, source=MANUAL,
              previous=previous)
    session.refresh(conversation)


def set_presence(*, session: Session, user: User, online: bool) -> bool:
    """Mark an agent online or offline; True when it changed. The caller hands on or runs the queue.

    The agent's profile row is locked first, so a decision that saw them online finishes before.
    """
    assert user.id is not None
    found.ensure_profiles(session, [user.id])
    session.execute(select(AgentProfile.user_id).where(col(AgentProfile.user_id) == user.id).with_for_update())
    changed = bool(session.execute(update(User).where(col(User.id) == user.id, col(User.online) != online)
                                   .values(online=online)).rowcount)  # type: ignore[attr-defined]
    session.refresh(user)
    return changed


def _held_by_policy() -> tuple[object, ...]:
    return (col(ConversationAssignment.conversation_id) == Conversation.id,
            col(ConversationAssignment.assignee_id) == Conversation.assignee_id,
            col(ConversationAssignment.assignment_source).startswith("policy:"),
            col(Conversation.status) == OPEN)


def stranded(*, session: Session, user_id: int | None = None, limit: int = 500) -> list[int]:
    """Open conversations a policy gave to an agent who is offline now (or to `user_id`)."""
    query = (select(Conversation.id).join(ConversationAssignment, and_(*_held_by_policy()))  # type: ignore[arg-type]
             .join(User, col(User.id) == Conversation.assignee_id).where(~col(User.online)))
    if user_id is not None:
        query = query.where(col(Conversation.assignee_id) == user_id)
    return [int(cid) for cid in session.exec(query.order_by(col(Conversation.id)).limit(limit)) if cid is not None]


def _replied(conversation_id: object, since: object) -> Exists:
    """An agent wrote in the conversation since `since` (a value or a column)."""
    return exists().where(col(Message.conversation_id) == conversation_id, col(Message.direction) == "outbound",
                          col(Message.author_id).is_not(None), col(Message.created_at) >= since)


def _answered(session: Session, conversation_id: int, since: datetime) -> bool:
    return bool(session.execute(select(_replied(conversation_id, since))).scalar())


def overdue(*, session: Session, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Conversations whose agent let the first-response deadline pass; answered ones stop being checked."""
    now = now or utcnow()
    due = col(ConversationAssignment.deadline_at) <= now
    replied = _replied(ConversationAssignment.conversation_id, ConversationAssignment.assigned_at)
    late = [int(cid) for cid in session.exec(
        select(ConversationAssignment.conversation_id).join(Conversation, and_(*_held_by_policy()))  # type: ignore[arg-type]
        .where(due, ~replied).order_by(col(ConversationAssignment.deadline_at)).limit(limit))]
    session.execute(update(ConversationAssignment).where(due, col(ConversationAssignment.conversation_id)
                                                         .not_in(late)).values(deadline_at=None))
    return late


def waiting(*, session: Session, limit: int = 500) -> list[tuple[int, tuple[int, int | None]]]:
    """Open, unassigned conversations some policy covers, longest idle first: (id, (channel, team))."""
    policies = select(AssignmentPolicy).where(col(AssignmentPolicy.enabled)).subquery()
    covered = or_(col(Conversation.channel_id).in_(select(policies.c.channel_id)),
                  in_teams(select(policies.c.team_id).where(policies.c.team_id.is_not(None))))
    rows = session.execute(select(Conversation.id, Conversation.channel_id, Conversation.team_id).where(
        col(Conversation.assignee_id).is_(None), col(Conversation.status) == OPEN, covered)
        .order_by(col(Conversation.last_activity_at), col(Conversation.id)).limit(limit))
    return [(int(row.id), (int(row.channel_id), row.team_id)) for row in rows]


def history(*, session: Session, conversation_id: int) -> list[AssignmentRecord]:
    """The conversation's assignment history, oldest first."""
    return list(session.exec(select(AssignmentRecord).where(AssignmentRecord.conversation_id == conversation_id)
                             .order_by(col(AssignmentRecord.id))))
