"""Admin API for the staff: users (roles, teams, the marketers' transcripts flag) and teams (members, channels)."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path
from pydantic import BaseModel, Field

from hub.agents import admin
from hub.agents.models import Team, User
from hub.agents.service import AccountError
from hub.api.deps import AdminUser, DbSession

router = APIRouter(prefix="/api/v1", tags=["users and teams"])
Id = Annotated[int, Path(ge=1, le=2**62)]
RoleName = Literal["admin", "agent", "marketer", "store"]
Locale = Literal["en", "zh_Hant", "ja"]


class UserOut(BaseModel):
    id: int
    email: str
    name: str
    role: str
    locale: str
    is_active: bool
    online: bool
    reads_transcripts: bool
    team_ids: list[int]
    created_at: datetime


class UserIn(BaseModel):
    email: str = Field(max_length=254)
    password: str = Field(min_length=8, max_length=200)
    role: RoleName
    name: str = Field(default="", max_length=200)
    locale: Locale = "en"
    team_ids: list[int] = Field(default_factory=list)
    reads_transcripts: bool = False


class UserPatch(BaseModel):
    name: str | None = Field(default=None, max_length=200)
    role: RoleName | None = None
    locale: Locale | None = None
    is_active: bool | None = None
    reads_transcripts: bool | None = None
    team_ids: list[int] | None = None
    password: str | None = Field(default=None, min_length=8, max_length=200)


class AutomationDefault(StrEnum):
    bot = "bot"
    human = "human"
    channel = "channel"


class TeamOut(BaseModel):
    id: int
    name: str
    member_ids: list[int]
    channel_ids: list[int]
    automation_default: AutomationDefault = Field(
        default=AutomationDefault.channel, examples=["bot"],
        description="Who answers new conversations on the team's channels: `bot`, `human`, or `channel` (the "
                    "channel's own default). Teams of one channel that disagree leave it to the channel.")


class TeamIn(BaseModel):
    name: str = Field(min_length=1, max_length=120)
    member_ids: list[int] = Field(default_factory=list)
    channel_ids: list[int] = Field(default_factory=list)
    automation_default: AutomationDefault = Field(
        default=AutomationDefault.channel, examples=["bot"],
        description="`bot` or `human` for new conversations on the team's channels; `channel` (the default): the "
                    "channel's own default.")


class TeamPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=120)
    member_ids: list[int] | None = None
    channel_ids: list[int] | None = None
    automation_default: AutomationDefault | None = Field(
        default=None, examples=["bot"],
        description="`bot` or `human` for new (and reopened) conversations on the team's channels; `channel`: "
                    "the channel's own default again.")


def _user_out(session: DbSession, user: User) -> UserOut:
    from hub.agents.service import team_ids_of

    return UserOut.model_validate({**user.model_dump(exclude={"password_hash"}),
                                   "team_ids": team_ids_of(session=session, user_id=user.id or 0)})


def _team_out(session: DbSession, team: Team) -> TeamOut:
    team_id = team.id or 0
    return TeamOut(id=team_id, name=team.name, member_ids=admin.members_of(session=session, team_id=team_id),
                   channel_ids=admin.channels_of(session=session, team_id=team_id),
                   automation_default=AutomationDefault(team.automation_default or "channel"))


@router.get("/users", response_model=list[UserOut])
def list_users(session: DbSession, actor: AdminUser) -> list[UserOut]:
    """Every user with their role and teams (never a password hash)."""
    return [_user_out(session, user) for user in admin.users(session=session)]


@router.post("/users", response_model=UserOut, status_code=201)
def add_user(body: UserIn, session: DbSession, actor: AdminUser) -> UserOut:
    """Add an admin, agent or marketer; a marketer reads no conversation unless `reads_transcripts`."""
    try:
        user = admin.add_user(session=session, actor=actor, values=body.model_dump())
    except AccountError as error:
        raise HTTPException(422, str(error)) from None
    session.commit()
    return _user_out(session, user)


@router.patch("/users/{user_id}", response_model=UserOut)
def change_user(user_id: Id, body: UserPatch, session: DbSession, actor: AdminUser) -> UserOut:
    """Change a user; a new role, password, deactivation or transcripts flag signs them out everywhere."""
    try:
        user = admin.change_user(session=session, actor=actor, user_id=user_id,
                                 values=body.model_dump(exclude_unset=True))
    except admin.NotFound as error:
        raise HTTPException(404, str(error)) from None
    except AccountError as error:
        raise HTTPException(422, str(error)) from None
    session.commit()
    return _user_out(session, user)


@router.get("/teams", response_model=list[TeamOut])
def list_teams(session: DbSession, actor: AdminUser) -> list[TeamOut]:
    return [_team_out(session, team) for team in admin.teams(session=session)]


@router.post("/teams", response_model=TeamOut, status_code=201)
def add_team(body: TeamIn, session: DbSession, actor: AdminUser) -> TeamOut:
    """A team, its members and the channels it is given (its agents see those channels' conversations)."""
    try:
        team = admin.add_team(session=session, actor=actor, name=body.name, member_ids=body.member_ids,
                              channel_ids=body.channel_ids, automation_default=body.automation_default.value)
    except AccountError as error:
        raise HTTPException(422, str(error)) from None
    session.commit()
    return _team_out(session, team)


@router.patch("/teams/{team_id}", response_model=TeamOut)
def change_team(team_id: Id, body: TeamPatch, session: DbSession, actor: AdminUser) -> TeamOut:
    """Rename a team, or replace its members or channels (a list given replaces the old one)."""
    try:
        team = admin.change_team(session=session, actor=actor, team_id=team_id, name=body.name,
                                 member_ids=body.member_ids, channel_ids=body.channel_ids,
                                 automation_default=body.automation_default.value if body.automation_default else None)
    except admin.NotFound as error:
        raise HTTPException(404, str(error)) from None
    except AccountError as error:
        raise HTTPException(422, str(error)) from None
    session.commit()
    return _team_out(session, team)
