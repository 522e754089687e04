"""Store staff: users with a role, grouped in teams."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlmodel import Field, SQLModel

from hub.runtime.db import utcnow


class Role(StrEnum):
    admin = "admin"
    agent = "agent"
    marketer = "marketer"
    store = "store"
    """Staff at a store's till: they see the coupon redemption page and their stores' figures, nothing else."""


class Team(SQLModel, table=True):
    __tablename__ = "team"

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    automation_default: str | None = Field(default=None, max_length=10)
    """`bot` or `human` for new conversations on its channels (None: the channel's default)."""
    created_at: datetime = Field(default_factory=utcnow)


class User(SQLModel, table=True):
    __tablename__ = "users"

    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(default="", max_length=200)
    password_hash: str = Field(max_length=255)
    role: str = Field(default=Role.agent.value, max_length=20)
    locale: str = Field(default="en", max_length=20)
    is_active: bool = Field(default=True)
    online: bool = Field(default=False)
    session_version: int = Field(default=1)
    reads_transcripts: bool = Field(default=False)
    """A marketer an admin allowed to read their teams' conversations (never to answer them)."""
    created_at: datetime = Field(default_factory=utcnow)


class TeamMember(SQLModel, table=True):
    __tablename__ = "team_member"

    team_id: int = Field(foreign_key="team.id", primary_key=True, ondelete="CASCADE")
    user_id: int = Field(foreign_key="users.id", primary_key=True, ondelete="CASCADE", index=True)


class UserSession(SQLModel, table=True):
    """One sign-in: a browser's cookie or an API client's bearer token. Revoking it ends that token
    at once (sign-out, an admin's revoke); the token itself carries only this row's id, signed."""

    __tablename__ = "user_session"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="users.id", ondelete="CASCADE", index=True)
    kind: str = Field(default="bearer", max_length=10)
    """`cookie` (the web UI) or `bearer` (the API)."""
    address: str = Field(default="", max_length=64)
    user_agent: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    expires_at: datetime
    revoked_at: datetime | None = Field(default=None)
