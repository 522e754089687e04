"""Admins keep the staff: users with a role and teams, each team given channels.

A change to who someone is (role, deactivation, a new password given by an admin, the transcripts
flag) ends every session of theirs at once, so no old cookie keeps rights they lost.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, delete, select

from hub.agents import service, tokens
from hub.agents.models import Role, Team, TeamMember, User
from hub.audit.service import record
from hub.channel_records.models import Channel, TeamChannel

ENDS_SESSIONS = frozenset({"role", "is_active", "password", "reads_transcripts"})
LOCALES = ("en", "zh_Hant", "ja")


class NotFound(LookupError):
    pass


def users(*, session: Session) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.id))))


def teams(*, session: Session) -> list[Team]:
    return list(session.exec(select(Team).order_by(col(Team.id))))


def members_of(*, session: Session, team_id: int) -> list[int]:
    return [int(u) for u in session.exec(select(TeamMember.user_id).where(TeamMember.team_id == team_id)
                                         .order_by(col(TeamMember.user_id)))]


def channels_of(*, session: Session, team_id: int) -> list[int]:
    return [int(c) for c in session.exec(select(TeamChannel.channel_id).where(TeamChannel.team_id == team_id)
                                         .order_by(col(TeamChannel.channel_id)))]


def _check_locale(locale: str) -> None:
    if locale not in LOCALES:
        raise service.AccountError(f"locale must be one of {', '.join(LOCALES)}")


def _check_ids(session: Session, model: type[User] | type[Channel] | type[Team], ids: list[int], what: str) -> None:
    found = set(session.exec(select(model.id).where(col(model.id).in_(ids))))
    missing = sorted(set(ids) - found)
    if missing:
        raise service.AccountError(f"no such {what}: {', '.join(map(str, missing))}")


def set_teams(*, session: Session, user_id: int, team_ids: list[int]) -> None:
    _check_ids(session, Team, team_ids, "team")
    session.exec(delete(TeamMember).where(col(TeamMember.user_id) == user_id))
    for team_id in sorted(set(team_ids)):
        session.add(TeamMember(team_id=team_id, user_id=user_id))


def add_user(*, session: Session, actor: User, values: dict[str, Any]) -> User:
    _check_locale(values.get("locale", "en"))
    user = service.create_user(session=session, email=values["email"], password=values["password"],
                               role=values["role"], name=values.get("name") or "", locale=values.get("locale", "en"))
    user.reads_transcripts = bool(values.get("reads_transcripts", False))
    assert user.id is not None
    set_teams(session=session, user_id=user.id, team_ids=values.get("team_ids") or [])
    record(session=session, actor_id=actor.id, action="user.created", target_type="user", target_id=user.id,
           details={"role": user.role, "teams": values.get("team_ids") or []})
    return user


def change_user(*, session: Session, actor: User, user_id: int, values: dict[str, Any]) -> User:
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("no such user")
    if "role" in values and values["role"] not in Role.__members__:
        raise service.AccountError(f"role must be one of {', '.join(Role.__members__)}")
    if user.id == actor.id and (values.get("role", user.role) != Role.admin or values.get("is_active") is False):
        raise service.AccountError("you cannot take away your own admin rights; ask another admin")
    if "locale" in values:
        _check_locale(values["locale"])
    for field in ("name", "role", "locale", "is_active", "reads_transcripts"):
        if field in values and values[field] is not None:
            setattr(user, field, values[field])
    if values.get("password"):
        user.password_hash = service.hash_password(values["password"])
    if "team_ids" in values and values["team_ids"] is not None:
        set_teams(session=session, user_id=user_id, team_ids=values["team_ids"])
    if ENDS_SESSIONS & {k for k, v in values.items() if v is not None}:
        user.session_version += 1
        tokens.revoke_all(session=session, user_id=user_id)  # their open sockets close too
    session.add(user)
    record(session=session, actor_id=actor.id, action="user.changed", target_type="user", target_id=user_id,
           details={k: v for k, v in values.items() if k != "password" and v is not None})
    return user


def add_team(*, session: Session, actor: User, name: str, member_ids: list[int], channel_ids: list[int],
             automation_default: str | None = None) -> Team:
    name = name.strip()
    if not name:
        raise service.AccountError("a team needs a name")
    _check_automation_default(automation_default)
    if session.exec(select(Team).where(Team.name == name)).first() is not None:
        raise service.AccountError(f"a team called {name} exists already")
    _check_ids(session, User, member_ids, "user")
    _check_ids(session, Channel, channel_ids, "channel")
    team = service.create_team(session=session, name=name, member_ids=sorted(set(member_ids)))
    assert team.id is not None
    if automation_default is not None:
        team.automation_default = None if automation_default == "channel" else automation_default
    for channel_id in sorted(set(channel_ids)):
        session.add(TeamChannel(team_id=team.id, channel_id=channel_id))
    record(session=session, actor_id=actor.id, action="team.created", target_type="team",
           target_id=team.id, details={"automation_default": automation_default} if automation_default else None)
    return team


AUTOMATION_DEFAULTS = ("bot", "human", "channel")
"""A team's default mode for new conversations on its channels; `channel`: the channel's own (stored as None)."""


def _check_automation_default(value: str | None) -> None:
    if value is not None and value not in AUTOMATION_DEFAULTS:
        raise service.AccountError(f"automation_default is one of {', '.join(AUTOMATION_DEFAULTS)}")


def change_team(*, session: Session, actor: User, team_id: int, name: str | None,
                member_ids: list[int] | None, channel_ids: list[int] | None,
                automation_default: str | None = None) -> Team:
    team = session.get(Team, team_id)
    if team is None:
        raise NotFound("no such team")
    _check_automation_default(automation_default)
    if automation_default is not None:
        team.automation_default = None if automation_default == "channel" else automation_default
    if name is not None and name.strip() and name.strip() != team.name:
        if session.exec(select(Team).where(Team.name == name.strip())).first() is not None:
            raise service.AccountError(f"a team called {name.strip()} exists already")
        team.name = name.strip()
    if member_ids is not None:
        _check_ids(session, User, member_ids, "user")
        session.exec(delete(TeamMember).where(col(TeamMember.team_id) == team_id))
        for user_id in sorted(set(member_ids)):
            session.add(TeamMember(team_id=team_id, user_id=user_id))
    if channel_ids is not None:
        _check_ids(session, Channel, channel_ids, "channel")
        session.exec(delete(TeamChannel).where(col(TeamChannel.team_id) == team_id))
        for channel_id in sorted(set(channel_ids)):
            session.add(TeamChannel(team_id=team_id, channel_id=channel_id))
    session.add(team)
    record(session=session, actor_id=actor.id, action="team.changed", target_type="team", target_id=team_id,
           details={"members": member_ids, "channels": channel_ids, "automation_default": automation_default})
    return team
