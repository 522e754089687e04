"""Assignment routes: policies, agent profiles, team deadlines and hours (admins); presence (each agent);
assigning a conversation by hand and reading its assignment history (whoever may see it)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Response
from pydantic import BaseModel, Field

from hub.agents.models import Role, User
from hub.api.deps import AdminUser, CurrentUser, DbSession, StaffUser
from hub.assignment import admin, hours, jobs, service
from hub.assignment.models import AgentProfile, AssignmentPolicy, TeamPolicy
from hub.conversations import queries
from hub.conversations.models import Conversation
from hub.runtime.db import utcnow

router = APIRouter(prefix="/api/v1", tags=["assignment"])

Kind = Literal["round_robin", "least_loaded", "sticky", "skill"]
Id = Annotated[int, Path(ge=1)]


class PolicyIn(BaseModel):
    kind: Kind
    team_id: int | None = None
    channel_id: int | None = None
    enabled: bool = True


class PolicyPatch(BaseModel):
    kind: Kind | None = None
    enabled: bool | None = None


class PolicyOut(BaseModel):
    id: int
    kind: str
    team_id: int | None
    channel_id: int | None
    enabled: bool
    created_at: datetime
    updated_at: datetime


class ProfileIn(BaseModel):
    capacity: int | None = Field(default=None, ge=0, le=1000)
    skills: list[str] | None = Field(default=None, max_length=admin.MAX_SKILLS)
    languages: list[Literal["zh", "ja", "en"]] | None = None


class ProfileOut(BaseModel):
    user_id: int
    capacity: int
    skills: list[str]
    languages: list[str]
    last_assigned_at: datetime | None


class PresenceIn(BaseModel):
    online: bool


class PresenceOut(BaseModel):
    online: bool
    handed_on: int = Field(description="conversations a policy had given you that moved to colleagues or the queue")


class TeamPolicyIn(BaseModel):
    first_response_minutes: int | None = Field(default=None, ge=1, le=10080)
    timezone: str = Field(default="UTC", max_length=64)
    weekly_hours: dict[str, list[list[str]]] | None = Field(
        default=None, examples=[{"mon": [["09:00", "18:00"]], "sat": [["10:00", "14:00"]]}])


class TeamPolicyOut(BaseModel):
    team_id: int
    first_response_minutes: int | None
    timezone: str
    weekly_hours: dict[str, list[list[str]]] | None
    open_now: bool = Field(description="inside business hours at this moment")
    next_opening: datetime | None = Field(description="when the team next opens, in its time zone (null: never)")


class AssigneeIn(BaseModel):
    assignee_id: int | None


class RecordOut(BaseModel):
    id: int
    conversation_id: int
    assignee_id: int | None
    policy: str
    reason: str
    created_at: datetime


def _policy_out(row: AssignmentPolicy) -> PolicyOut:
    return PolicyOut.model_validate(row, from_attributes=True)


def _profile_out(row: AgentProfile) -> ProfileOut:
    return ProfileOut(user_id=row.user_id, capacity=row.capacity, skills=list(row.skills),
                      languages=list(row.languages), last_assigned_at=row.last_assigned_at)


def _team_out(row: TeamPolicy) -> TeamPolicyOut:
    now = utcnow()
    return TeamPolicyOut(team_id=row.team_id, first_response_minutes=row.first_response_minutes,
                         timezone=row.timezone, weekly_hours=row.weekly_hours,
                         open_now=hours.is_open(row.timezone, row.weekly_hours, now),
                         next_opening=hours.next_opening(row.timezone, row.weekly_hours, now))


def _refused(error: Exception) -> HTTPException:
    code = 404 if isinstance(error, admin.NotFound) else 409 if isinstance(error, admin.Conflict) else 422
    return HTTPException(code, str(error))


@router.get("/assignment-policies", response_model=list[PolicyOut])
def list_policies(session: DbSession, _: AdminUser, team_id: int | None = None,
                  channel_id: int | None = None) -> list[PolicyOut]:
    """Every assignment policy, or those of one team or channel."""
    return [_policy_out(row) for row in admin.list_policies(session=session, team_id=team_id, channel_id=channel_id)]


@router.post("/assignment-policies", response_model=PolicyOut, status_code=201)
def create_policy(body: PolicyIn, session: DbSession, user: AdminUser) -> PolicyOut:
    """A policy for one team (`team_id`) or one channel (`channel_id`); a channel's policy wins."""
    try:
        policy = admin.create_policy(session=session, actor=user, kind=body.kind, team_id=body.team_id,
                                     channel_id=body.channel_id, enabled=body.enabled)
    except (admin.SettingError, admin.Conflict) as error:
        raise _refused(error) from None
    session.commit()
    jobs.schedule_queue()
    return _policy_out(policy)


@router.get("/assignment-policies/{policy_id}", response_model=PolicyOut)
def get_policy(policy_id: Id, session: DbSession, _: AdminUser) -> PolicyOut:
    try:
        return _policy_out(admin.get_policy(session=session, policy_id=policy_id))
    except admin.NotFound as error:
        raise _refused(error) from None


@router.patch("/assignment-policies/{policy_id}", response_model=PolicyOut)
def update_policy(policy_id: Id, body: PolicyPatch, session: DbSession, user: AdminUser) -> PolicyOut:
    """Change a policy's kind or switch it on or off; takes effect for the next decision."""
    try:
        policy = admin.update_policy(session=session, actor=user, policy_id=policy_id, kind=body.kind,
                                     enabled=body.enabled)
    except (admin.SettingError, admin.NotFound) as error:
        raise _refused(error) from None
    session.commit()
    jobs.schedule_queue()
    return _policy_out(policy)


@router.delete("/assignment-policies/{policy_id}", status_code=204)
def delete_policy(policy_id: Id, session: DbSession, user: AdminUser) -> Response:
    try:
        admin.delete_policy(session=session, actor=user, policy_id=policy_id)
    except admin.NotFound as error:
        raise _refused(error) from None
    session.commit()
    return Response(status_code=204)


@router.get("/agents/{user_id}/profile", response_model=ProfileOut)
def get_profile(user_id: Id, session: DbSession, user: CurrentUser) -> ProfileOut:
    """An agent's capacity, skills and languages (admins, and the agent themself)."""
    if user.role != Role.admin and user.id != user_id:
        raise HTTPException(403, "only an admin may read another agent's profile")
    try:
        return _profile_out(admin.profile_of(session=session, user_id=user_id))
    except (admin.NotFound, admin.SettingError) as error:
        raise _refused(error) from None


@router.patch("/agents/{user_id}/profile", response_model=ProfileOut)
def update_profile(user_id: Id, body: ProfileIn, session: DbSession, user: AdminUser) -> ProfileOut:
    """Set capacity (open conversations at once), skills (tag names) and languages (zh, ja, en)."""
    try:
        profile = admin.update_profile(session=session, actor=user, user_id=user_id, capacity=body.capacity,
                                       skills=body.skills, languages=list(body.languages)
                                       if body.languages is not None else None)
    except (admin.NotFound, admin.SettingError) as error:
        raise _refused(error) from None
    session.commit()
    jobs.schedule_queue()  # more capacity may let waiting conversations through
    return _profile_out(profile)


@router.post("/agents/me/presence", response_model=PresenceOut)
def presence(body: PresenceIn, session: DbSession, user: CurrentUser) -> PresenceOut:
    """Go online (waiting conversations may come to you) or offline (yours move on)."""
    service.set_presence(session=session, user=user, online=body.online)
    session.commit()
    handed_on = 0
    assert user.id is not None
    if body.online:
        jobs.schedule_queue()
    else:
        handed_on = jobs.release_agent(user.id)
    return PresenceOut(online=body.online, handed_on=handed_on)


@router.get("/teams/{team_id}/policy", response_model=TeamPolicyOut)
def get_team_policy(team_id: Id, session: DbSession, _: AdminUser) -> TeamPolicyOut:
    """A team's first-response deadline and business hours."""
    try:
        return _team_out(admin.team_settings(session=session, team_id=team_id))
    except admin.NotFound as error:
        raise _refused(error) from None


@router.put("/teams/{team_id}/policy", response_model=TeamPolicyOut)
def put_team_policy(team_id: Id, body: TeamPolicyIn, session: DbSession, user: AdminUser) -> TeamPolicyOut:
    """Set a team's first-response deadline (minutes after assignment; null: none), time zone and hours.

    A conversation a policy gave to an agent who has not replied by the deadline moves to a colleague.
    `weekly_hours` null means always open; a day left out is closed.
    """
    try:
        row = admin.update_team_settings(session=session, actor=user, team_id=team_id,
                                         values=body.model_dump(exclude_unset=True))
    except (admin.NotFound, admin.SettingError) as error:
        raise _refused(error) from None
    session.commit()
    jobs.schedule_queue()
    return _team_out(row)


def _visible(session: DbSession, user: User, conversation_id: int) -> Conversation:
    conversation = queries.visible(session=session, user=user, conversation_id=conversation_id)
    if conversation is None:
        raise HTTPException(404, "no such conversation")
    return conversation


@router.put("/conversations/{conversation_id}/assignee", response_model=RecordOut)
def assign_by_hand(conversation_id: Id, body: AssigneeIn, session: DbSession, user: StaffUser) -> RecordOut:
    """Assign a conversation to an agent (or null to put it back in the queue). A person's choice is
    never overridden by a policy."""
    if user.role not in (Role.admin, Role.agent):
        raise HTTPException(403, "only agents and admins assign conversations")
    conversation = _visible(session, user, conversation_id)
    if body.assignee_id is not None:
        target = session.get(User, body.assignee_id)
        if target is None or not target.is_active or target.role not in (Role.admin, Role.agent):
            raise HTTPException(422, "assignee_id must be an active agent or admin")
        if queries.visible(session=session, user=target, conversation_id=conversation_id) is None:
            raise HTTPException(422, f"{target.name} is not in a team that handles this conversation's channel")
    service.assign_manually(session=session, conversation=conversation, assignee_id=body.assignee_id, actor=user)
    session.commit()
    return _records(session, conversation_id)[-1]


def _records(session: DbSession, conversation_id: int) -> list[RecordOut]:
    return [RecordOut.model_validate(row, from_attributes=True)
            for row in service.history(session=session, conversation_id=conversation_id)]


@router.get("/conversations/{conversation_id}/assignments", response_model=list[RecordOut])
def assignment_history(conversation_id: Id, session: DbSession, user: CurrentUser) -> list[RecordOut]:
    """Who was given the conversation, when, by which policy or person, and why (oldest first)."""
    _visible(session, user, conversation_id)
    return _records(session, conversation_id)

