"""Admins' assignment settings: policies per team or channel, agent profiles, team deadlines and hours.

Every change is audited. Bad input raises `SettingError` with a sentence a person understands.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from hub.agents.models import Role, Team, User
from hub.assignment import hours
from hub.assignment.candidates import ensure_profiles
from hub.assignment.models import AgentProfile, AssignmentPolicy, PolicyKind, TeamPolicy
from hub.assignment.policies import LANGUAGE_NAMES
from hub.audit import service as audit
from hub.channel_records.models import Channel
from hub.runtime.db import utcnow

MAX_SKILLS = 50


class SettingError(ValueError):
    """The request cannot be applied; the message says why (422)."""


class NotFound(LookupError):
    """No such policy, team or agent (404)."""


class Conflict(ValueError):
    """The scope has a policy already (409)."""


def list_policies(*, session: Session, team_id: int | None = None, channel_id: int | None = None
                  ) -> list[AssignmentPolicy]:
    query = select(AssignmentPolicy).order_by(col(AssignmentPolicy.id))
    if team_id is not None:
        query = query.where(AssignmentPolicy.team_id == team_id)
    if channel_id is not None:
        query = query.where(AssignmentPolicy.channel_id == channel_id)
    return list(session.exec(query))


def get_policy(*, session: Session, policy_id: int) -> AssignmentPolicy:
    policy = session.get(AssignmentPolicy, policy_id)
    if policy is None:
        raise NotFound("no assignment policy with that id")
    return policy


def _check_kind(kind: str) -> None:
    if kind not in PolicyKind.__members__:
        raise SettingError(f"kind must be one of {', '.join(PolicyKind.__members__)}")


def create_policy(*, session: Session, actor: User, kind: str, team_id: int | None = None,
                  channel_id: int | None = None, enabled: bool = True) -> AssignmentPolicy:
    """A policy for one team's channels or for one channel (a channel's policy wins over its team's)."""
    _check_kind(kind)
    if (team_id is None) == (channel_id is None):
        raise SettingError("a policy applies to exactly one team (team_id) or one channel (channel_id)")
    if team_id is not None and session.get(Team, team_id) is None:
        raise SettingError(f"there is no team {team_id}")
    if channel_id is not None and session.get(Channel, channel_id) is None:
        raise SettingError(f"there is no channel {channel_id}")
    where = f"team {team_id}" if team_id is not None else f"channel {channel_id}"
    taken = Conflict(f"{where} has an assignment policy already; change it with PATCH")
    if list_policies(session=session, team_id=team_id, channel_id=channel_id):
        raise taken
    policy = AssignmentPolicy(team_id=team_id, channel_id=channel_id, kind=kind, enabled=enabled)
    try:
        with session.begin_nested():
            session.add(policy)
            session.flush()
    except IntegrityError:  # created by someone else a moment ago
        raise taken from None
    audit.record(session=session, actor_id=actor.id, action="assignment_policy.created",
                 target_type="assignment_policy", target_id=policy.id,
                 details={"kind": kind, "team_id": team_id, "channel_id": channel_id, "enabled": enabled})
    return policy


def update_policy(*, session: Session, actor: User, policy_id: int, kind: str | None = None,
                  enabled: bool | None = None) -> AssignmentPolicy:
    policy = get_policy(session=session, policy_id=policy_id)
    changes: dict[str, Any] = {}
    if kind is not None and kind != policy.kind:
        _check_kind(kind)
        changes["kind"] = policy.kind = kind
    if enabled is not None and enabled != policy.enabled:
        changes["enabled"] = policy.enabled = enabled
    if changes:
        policy.updated_at = utcnow()
        session.add(policy)
        audit.record(session=session, actor_id=actor.id, action="assignment_policy.updated",
                     target_type="assignment_policy", target_id=policy.id, details=changes)
    return policy


def delete_policy(*, session: Session, actor: User, policy_id: int) -> None:
    policy = get_policy(session=session, policy_id=policy_id)
    audit.record(session=session, actor_id=actor.id, action="assignment_policy.deleted",
                 target_type="assignment_policy", target_id=policy.id,
                 details={"kind": policy.kind, "team_id": policy.team_id, "channel_id": policy.channel_id})
    session.delete(policy)


def _agent(session: Session, user_id: int) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no user with that id")
    if user.role != Role.agent.value:
        raise SettingError(f"{user.email} is {'an' if user.role == 'admin' else 'a'} {user.role}; only agents "
                           "are assigned conversations")
    return user


def profile_of(*, session: Session, user_id: int) -> AgentProfile:
    """An agent's profile; the defaults when none was saved yet."""
    _agent(session, user_id)
    return session.get(AgentProfile, user_id) or AgentProfile(user_id=user_id)


def _clean_skills(skills: list[str]) -> list[str]:
    cleaned: list[str] = []
    for skill in skills:
        name = skill.strip()
        if not name:
            raise SettingError("a skill cannot be empty")
        if len(name) > 100:
            raise SettingError(f"the skill {name[:20]!r}… is longer than 100 characters")
        if name.casefold() not in {s.casefold() for s in cleaned}:
            cleaned.append(name)
    if len(cleaned) > MAX_SKILLS:
        raise SettingError(f"an agent can have at most {MAX_SKILLS} skills")
    return cleaned


def _clean_languages(languages: list[str]) -> list[str]:
    cleaned = []
    for language in languages:
        code = language.strip().lower()
        if code not in LANGUAGE_NAMES:
            raise SettingError(f"unknown language {language!r}; Hub recognises "
                               + ", ".join(f"{c} ({n})" for c, n in LANGUAGE_NAMES.items()))
        if code not in cleaned:
            cleaned.append(code)
    return cleaned


def update_profile(*, session: Session, actor: User, user_id: int, capacity: int | None = None,
                   skills: list[str] | None = None, languages: list[str] | None = None) -> AgentProfile:
    """Change what the policies know about an agent. Lowering capacity takes nothing away."""
    _agent(session, user_id)
    ensure_profiles(session, [user_id])
    profile = session.get(AgentProfile, user_id, with_for_update=True, populate_existing=True)
    assert profile is not None
    changes: dict[str, Any] = {}
    if capacity is not None:
        if not 0 <= capacity <= 1000:
            raise SettingError("capacity must be between 0 and 1000 open conversations")
        changes["capacity"] = profile.capacity = capacity
    if skills is not None:
        changes["skills"] = profile.skills = _clean_skills(skills)
    if languages is not None:
        changes["languages"] = profile.languages = _clean_languages(languages)
    if changes:
        session.add(profile)
        audit.record(session=session, actor_id=actor.id, action="agent_profile.updated", target_type="user",
                     target_id=user_id, details=changes)
    return profile


def team_settings(*, session: Session, team_id: int) -> TeamPolicy:
    if session.get(Team, team_id) is None:
        raise NotFound("no team with that id")
    return session.get(TeamPolicy, team_id) or TeamPolicy(team_id=team_id)


def update_team_settings(*, session: Session, actor: User, team_id: int, values: dict[str, Any]) -> TeamPolicy:
    """Set a team's first-response deadline (minutes, None for none), time zone and weekly hours.

    Only the keys present in `values` change; `weekly_hours` None means always open.
    """
    current = team_settings(session=session, team_id=team_id)
    minutes = values.get("first_response_minutes", current.first_response_minutes)
    if minutes is not None and not 1 <= minutes <= 7 * 24 * 60:
        raise SettingError("first_response_minutes must be between 1 and 10080 (a week), or null for no deadline")
    tz = values.get("timezone", current.timezone)
    weekly = values.get("weekly_hours", current.weekly_hours)
    try:
        hours.validate(tz, weekly)
    except hours.InvalidHours as invalid:
        raise SettingError(str(invalid)) from None
    row = session.get(TeamPolicy, team_id) or TeamPolicy(team_id=team_id)
    row.first_response_minutes, row.timezone, row.weekly_hours = minutes, tz, weekly
    row.updated_at = utcnow()
    session.add(row)
    audit.record(session=session, actor_id=actor.id, action="team_policy.updated", target_type="team",
                 target_id=team_id, details={k: values[k] for k in sorted(values)})
    return row
