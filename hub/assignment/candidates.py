"""Reading what an assignment decision needs: the policy, the agents allowed, what the conversation asks.

`lock_candidates` is the one place that locks: it takes the candidates' profile rows FOR UPDATE in
user id order, so that every transaction that could give one of them a conversation waits for the
others (one fixed order: no deadlocks). Everything read after it (presence, capacity, open counts)
is current. SQLite needs no lock: its writers are serialised by BEGIN IMMEDIATE.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import func, or_, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, col, select

from hub.agents.models import Role, TeamMember, User
from hub.assignment import hours
from hub.assignment.models import AgentProfile, AssignmentPolicy, AssignmentRecord, TeamPolicy
from hub.assignment.policies import Candidate, Need, detect_language, language_of
from hub.channel_records.models import TeamChannel
from hub.conversations.models import Conversation, ConversationStatus, Message
from hub.runtime import upsert
from hub.tags.models import ConversationTag, Tag

OPEN = ConversationStatus.open.value


@dataclass(frozen=True)
class Scope:
    """The policy that applies to a conversation and the teams whose agents may take it."""

    policy: AssignmentPolicy
    team_ids: tuple[int, ...]

    @property
    def source(self) -> str:
        return f"policy:{self.policy.kind}"


def scope_teams(session: Session, conversation: Conversation) -> tuple[int, ...]:
    """The conversation's team, or else the teams given its channel."""
    if conversation.team_id is not None:
        return (conversation.team_id,)
    rows = session.exec(select(TeamChannel.team_id).where(TeamChannel.channel_id == conversation.channel_id))
    return tuple(sorted(int(team_id) for team_id in rows))


def scope_of(session: Session, conversation: Conversation) -> Scope | None:
    """The channel's policy, else the first of its teams' policies; None: nobody assigns it."""
    team_ids = scope_teams(session, conversation)
    rows = session.exec(select(AssignmentPolicy).where(
        col(AssignmentPolicy.enabled),
        or_(col(AssignmentPolicy.channel_id) == conversation.channel_id, col(AssignmentPolicy.team_id).in_(team_ids)),
    )).all()
    ranked = sorted(rows, key=lambda p: (p.channel_id is None, p.team_id or 0))
    return Scope(ranked[0], team_ids) if ranked else None


@dataclass(frozen=True)
class Allowed:
    """The agents allowed on a conversation → their teams here, those teams' settings, and the agents
    who have no profile row yet."""

    teams_of: dict[int, set[int]]
    settings: dict[int, TeamPolicy]
    unprofiled: tuple[int, ...] = ()


def allowed_agents(session: Session, team_ids: tuple[int, ...]) -> Allowed:
    """Active agents of these teams (every active agent when there are none), in one query."""
    query = (select(User.id, TeamMember.team_id, TeamPolicy, AgentProfile.user_id)
             .select_from(User).join(TeamMember, col(TeamMember.user_id) == User.id, isouter=not team_ids)
             .join(TeamPolicy, col(TeamPolicy.team_id) == TeamMember.team_id, isouter=True)
             .join(AgentProfile, col(AgentProfile.user_id) == User.id, isouter=True)
             .where(col(User.is_active), col(User.role) == Role.agent.value))
    if team_ids:
        query = query.where(col(TeamMember.team_id).in_(team_ids))
    teams_of: dict[int, set[int]] = {}
    settings: dict[int, TeamPolicy] = {}
    unprofiled: set[int] = set()
    for user_id, team_id, team_policy, profile_id in session.exec(query):
        teams = teams_of.setdefault(int(user_id or 0), set())
        if team_id is not None:
            teams.add(int(team_id))
        if team_policy is not None:
            settings[team_policy.team_id] = team_policy
        if profile_id is None:
            unprofiled.add(int(user_id or 0))
    return Allowed(teams_of, settings, tuple(sorted(unprofiled)))


def in_hours(teams: set[int], settings: Mapping[int, TeamPolicy], now: datetime) -> bool:
    """Inside business hours when any of the agent's teams here is open (no team: always)."""
    if not teams:
        return True
    for team_id in teams:
        row = settings.get(team_id)
        if row is None or hours.is_open(row.timezone, row.weekly_hours, now):
            return True
    return False


def deadline_minutes(teams: set[int], settings: Mapping[int, TeamPolicy]) -> int | None:
    """The strictest first-response deadline among the agent's teams here."""
    minutes = [settings[t].first_response_minutes for t in teams if t in settings]
    given = [m for m in minutes if m]
    return min(given) if given else None


def need_of(session: Session, conversation: Conversation, kind: str, exclude: frozenset[int]) -> Need:
    """What the conversation asks for; only the reads the policy `kind` uses are made."""
    language: str | None = None
    tags: frozenset[str] = frozenset()
    previous: int | None = None
    if kind == "skill":
        texts = session.exec(select(Message.text).where(
            Message.conversation_id == conversation.id, Message.direction == "inbound",
            col(Message.text).is_not(None)).order_by(col(Message.id).desc()).limit(1)).all()
        language = detect_language(texts[0]) if texts else None
        tags = frozenset(session.exec(select(Tag.name).join(ConversationTag, col(ConversationTag.tag_id) == Tag.id)
                                      .where(ConversationTag.conversation_id == conversation.id)).all())
    elif kind == "sticky":
        previous = previous_agent(session, conversation)
    return Need(language=language, tags=tags, previous_assignee_id=previous, exclude=exclude)


def previous_agent(session: Session, conversation: Conversation) -> int | None:
    """The agent who served this customer last, on any channel."""
    theirs = select(Conversation.id).where(Conversation.contact_id == conversation.contact_id)
    recorded = session.exec(select(AssignmentRecord.assignee_id).where(
        col(AssignmentRecord.conversation_id).in_(theirs), col(AssignmentRecord.assignee_id).is_not(None))
        .order_by(col(AssignmentRecord.id).desc()).limit(1)).first()
    if recorded is not None:
        return int(recorded)
    assigned = session.exec(select(Conversation.assignee_id).where(
        Conversation.contact_id == conversation.contact_id, col(Conversation.assignee_id).is_not(None))
        .order_by(col(Conversation.last_activity_at).desc()).limit(1)).first()
    return None if assigned is None else int(assigned)


def ensure_profiles(session: Session, user_ids: list[int]) -> None:
    """Profile rows with the defaults for agents who have none, in the caller's transaction."""
    if not user_ids:
        return
    have = set(session.exec(select(AgentProfile.user_id).where(col(AgentProfile.user_id).in_(user_ids))).all())
    missing = [uid for uid in sorted(user_ids) if uid not in have]
    if missing:
        table = AgentProfile.__table__  # type: ignore[attr-defined]
        upsert(session, table, [{"user_id": uid, "capacity": 5, "skills": [], "languages": []} for uid in missing],
               key=["user_id"])


def create_profiles_apart(session: Session, user_ids: tuple[int, ...]) -> None:
    """Profiles for agents seen for the first time, created before any lock is taken.

    On PostgreSQL they are committed in a transaction of their own: inserting them inside the
    decision would hold new row locks out of user id order, which two decisions could deadlock on.
    (An agent created in the caller's own uncommitted transaction is not visible there: then the
    caller's transaction inserts it; the lock timeout stops the foreign key check from waiting for
    the caller.) SQLite serialises writers and needs none of this.
    """
    if not user_ids:
        return
    if session.get_bind().dialect.name != "postgresql":
        ensure_profiles(session, list(user_ids))
        return
    try:
        with Session(session.get_bind()) as apart:
            apart.execute(text("SET LOCAL lock_timeout = '1s'"))
            ensure_profiles(apart, list(user_ids))
            apart.commit()
    except DBAPIError:
        ensure_profiles(session, list(user_ids))


def lock_candidates(session: Session, allowed: Allowed, now: datetime) -> list[Candidate]:
    """Lock the allowed agents' profile rows in user id order, then read them as they are now.

    Open conversations are counted in a statement of their own after the lock: at READ COMMITTED a
    subquery in the locking SELECT would read the snapshot taken before waiting, and miss what the
    previous lock holder just committed.
    """
    ids = sorted(allowed.teams_of)
    if not ids:
        return []
    query = (sa.select(col(AgentProfile.user_id), col(AgentProfile.capacity), col(AgentProfile.skills),
                       col(AgentProfile.languages), col(AgentProfile.last_assigned_at), col(User.online),
                       col(User.name), col(User.locale))
             .join(User, col(User.id) == AgentProfile.user_id)
             .where(col(AgentProfile.user_id).in_(ids))
             .order_by(col(AgentProfile.user_id))
             .with_for_update(of=AgentProfile.__table__))  # type: ignore[attr-defined]
    create_profiles_apart(session, allowed.unprofiled)
    rows = session.execute(query).all()
    counts = open_counts(session, ids)
    return [Candidate(
        user_id=row.user_id, name=row.name, open_count=counts.get(row.user_id, 0), capacity=row.capacity,
        online=row.online, in_hours=in_hours(allowed.teams_of[row.user_id], allowed.settings, now),
        last_assigned_at=row.last_assigned_at, skills=frozenset(row.skills or []),
        languages=_languages(row.languages, row.locale)) for row in rows]


def _languages(declared: list[str] | None, locale: str | None) -> frozenset[str]:
    """The profile's languages; an agent who declared none reads the language of their locale."""
    chosen = [lang for lang in declared or [] if lang] or [language_of(locale) or ""]
    return frozenset(lang for lang in chosen if lang)


def open_counts(session: Session, user_ids: list[int]) -> dict[int, int]:
    """Open conversations per agent (the load that capacity limits)."""
    rows = session.execute(select(Conversation.assignee_id, func.count()).where(
        col(Conversation.assignee_id).in_(user_ids), Conversation.status == OPEN)
        .group_by(col(Conversation.assignee_id)))
    return {int(user_id): int(count) for user_id, count in rows}
