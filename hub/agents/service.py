"""Users, teams and passwords (tokens: `hub.agents.tokens`)."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import ColumnElement, false, or_, true
from sqlmodel import Session, col, select

from hub.agents.models import Role, Team, TeamMember, User
from hub.conversations.models import Conversation
from hub.conversations.teams import in_teams

_hasher = PasswordHasher()
# Verifying against this when the account does not exist keeps the timing the same.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class AccountError(ValueError):
    pass


def hash_password(password: str) -> str:
    if len(password) < 8:
        raise AccountError("the password must have at least 8 characters")
    return _hasher.hash(password)


def create_user(*, session: Session, email: str, password: str, role: str, name: str = "",
                locale: str = "en") -> User:
    email = email.strip().lower()
    if "@" not in email:
        raise AccountError(f"{email!r} is not an email address")
    if role not in Role.__members__:
        raise AccountError(f"role must be one of {', '.join(Role.__members__)}")
    if session.exec(select(User).where(User.email == email)).first() is not None:
        raise AccountError(f"a user with the email {email} exists already")
    user = User(email=email, password_hash=hash_password(password), role=role, name=name or email.split("@")[0],
                locale=locale)
    session.add(user)
    session.flush()
    return user


def authenticate(*, session: Session, email: str, password: str) -> User | None:
    user = session.exec(select(User).where(User.email == email.strip().lower())).first()
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return None
    if user is None or not user.is_active:
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
        session.add(user)
    return user


def create_team(*, session: Session, name: str, member_ids: list[int] | None = None) -> Team:
    team = Team(name=name)
    session.add(team)
    session.flush()
    assert team.id is not None
    for user_id in member_ids or []:
        session.add(TeamMember(team_id=team.id, user_id=user_id))
    return team


def answers_customers(user: User) -> bool:
    """Agents and admins answer and change conversations; a marketer at most reads them."""
    return user.role in (Role.admin, Role.agent)


def team_ids_of(*, session: Session, user_id: int) -> list[int]:
    return [int(t) for t in session.exec(select(TeamMember.team_id).where(TeamMember.user_id == user_id))]


def can_see_conversations(session: Session, user: User) -> ColumnElement[bool]:
    """A WHERE clause: the conversations this user may see."""
    if user.role == Role.admin:
        return true()
    if user.role != Role.agent and not (user.role == Role.marketer and user.reads_transcripts):
        return false()
    teams = team_ids_of(session=session, user_id=user.id or 0)
    if not teams:
        return col(Conversation.assignee_id) == user.id
    return or_(in_teams(teams), col(Conversation.assignee_id) == user.id)


def users_by_ids(*, session: Session, user_ids: list[int]) -> list[User]:
    """The users with these ids (those that exist)."""
    return list(session.exec(select(User).where(col(User.id).in_(user_ids)))) if user_ids else []


def active_with_role(*, session: Session, role: str) -> list[User]:
    """The active users of a role, by name (the stores' page lists who may work at a store)."""
    return list(session.exec(select(User).where(col(User.is_active).is_(True), col(User.role) == role)
                             .order_by(col(User.name), col(User.id))))
