"""Tagging routes: rules, the shop's business hours and tags' thresholds (admins); a conversation's
suggested tags (whoever may see the conversation)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from hub.api.deps import AdminUser, CurrentUser, DbSession
from hub.assignment import hours
from hub.conversations import queries
from hub.runtime.db import utcnow
from hub.tagging import admin, service, suggest
from hub.tagging.models import BusinessHours, TagRule
from hub.tagging.rules import Condition, RuleSpec, TagAction, Word
from hub.tags.models import Tag

router = APIRouter(prefix="/api/v1", tags=["tagging"])

Id = Annotated[int, Path(ge=1)]


class RuleOut(RuleSpec):
    id: int
    created_at: datetime
    updated_at: datetime


class RulePatch(BaseModel):
    """Only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    name: Word | None = None
    enabled: bool | None = None
    match: Literal["all", "any"] | None = None
    conditions: list[Condition] | None = Field(default=None, min_length=1, max_length=50)
    actions: list[TagAction] | None = Field(default=None, min_length=1, max_length=10)


class HoursIn(BaseModel):
    timezone: str = Field(default="UTC", max_length=64, examples=["Asia/Hong_Kong"])
    weekly_hours: dict[str, list[list[str]]] | None = Field(
        default=None, examples=[{"mon": [["09:00", "18:00"]], "sat": [["10:00", "14:00"]]}],
        description="ranges per day (mon … sun) in local time; a day left out is closed; null: always open")


class HoursOut(HoursIn):
    open_now: bool
    next_opening: datetime | None = Field(description="when the shop next opens, in its time zone (null: never)")


class TagOut(BaseModel):
    id: int
    name: str
    color: str
    auto_apply_threshold: float | None = Field(description="the classifier applies the tag at or above this "
                                                           "probability; null: it only suggests it")
    conversations: int
    contacts: int


class TagPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    color: str | None = Field(default=None, pattern=r"^#[0-9a-fA-F]{6}$")
    auto_apply_threshold: float | None = Field(default=None, gt=0, le=1)


class SuggestionOut(BaseModel):
    tag: str
    confidence: float = Field(description="the classifier's probability, 0 to 1")
    message_id: int = Field(description="the message it was read from")
    model_version: str
    created_at: datetime


def _rule_out(rule: TagRule) -> RuleOut:
    spec = RuleSpec.model_validate(service.spec_of(rule))
    return RuleOut(**spec.model_dump(), id=rule.id or 0, created_at=rule.created_at, updated_at=rule.updated_at)


def _hours_out(row: BusinessHours) -> HoursOut:
    now = utcnow()
    return HoursOut(timezone=row.timezone, weekly_hours=row.weekly_hours,
                    open_now=hours.is_open(row.timezone, row.weekly_hours, now),
                    next_opening=hours.next_opening(row.timezone, row.weekly_hours, now))


def _tag_out(tag: Tag, conversations: int = 0, contacts: int = 0) -> TagOut:
    return TagOut(id=tag.id or 0, name=tag.name, color=tag.color, auto_apply_threshold=tag.auto_apply_threshold,
                  conversations=conversations, contacts=contacts)


def _refused(error: Exception) -> HTTPException:
    code = 404 if isinstance(error, admin.NotFound) else 409 if isinstance(error, admin.Conflict) else 422
    return HTTPException(code, str(error))


@router.get("/tag-rules", response_model=list[RuleOut])
def list_rules(session: DbSession, _: AdminUser) -> list[RuleOut]:
    """Every tag rule, oldest first."""
    return [_rule_out(rule) for rule in admin.list_rules(session=session)]


@router.post("/tag-rules", response_model=RuleOut, status_code=201)
def create_rule(body: RuleSpec, session: DbSession, user: AdminUser) -> RuleOut:
    """A rule that tags conversations or contacts when a customer's message meets its conditions.

    Applies from the next message on, in every worker, without a restart.
    """
    try:
        rule = admin.create_rule(session=session, actor=user, values=body.model_dump(mode="json"))
    except (admin.SettingError, admin.Conflict) as error:
        raise _refused(error) from None
    session.commit()
    return _rule_out(rule)


@router.get("/tag-rules/{rule_id}", response_model=RuleOut)
def get_rule(rule_id: Id, session: DbSession, _: AdminUser) -> RuleOut:
    try:
        return _rule_out(admin.get_rule(session=session, rule_id=rule_id))
    except admin.NotFound as error:
        raise _refused(error) from None


@router.patch("/tag-rules/{rule_id}", response_model=RuleOut)
def update_rule(rule_id: Id, body: RulePatch, session: DbSession, user: AdminUser) -> RuleOut:
    """Change a rule's name, conditions, actions, or switch it on or off."""
    changes: dict[str, Any] = body.model_dump(mode="json", exclude_unset=True)
    try:
        rule = admin.update_rule(session=session, actor=user, rule_id=rule_id, changes=changes)
    except (admin.SettingError, admin.NotFound, admin.Conflict) as error:
        raise _refused(error) from None
    session.commit()
    return _rule_out(rule)


@router.delete("/tag-rules/{rule_id}", status_code=204)
def delete_rule(rule_id: Id, session: DbSession, user: AdminUser) -> Response:
    """Delete a rule. Tags it applied stay on their conversations and contacts."""
    try:
        admin.delete_rule(session=session, actor=user, rule_id=rule_id)
    except admin.NotFound as error:
        raise _refused(error) from None
    session.commit()
    return Response(status_code=204)


@router.get("/business-hours", response_model=HoursOut)
def get_hours(session: DbSession, _: AdminUser) -> HoursOut:
    """The shop-wide business hours that `hours` conditions use when the channel's teams set none."""
    return _hours_out(admin.shop_hours(session=session))


@router.put("/business-hours", response_model=HoursOut)
def put_hours(body: HoursIn, session: DbSession, user: AdminUser) -> HoursOut:
    """Set the shop-wide time zone and weekly hours. A team's own hours (`PUT /api/v1/teams/{id}/policy`)
    win for the channels that team answers."""
    try:
        row = admin.set_shop_hours(session=session, actor=user, timezone=body.timezone, weekly=body.weekly_hours)
    except admin.SettingError as error:
        raise _refused(error) from None
    session.commit()
    return _hours_out(row)


@router.get("/tags", response_model=list[TagOut])
def list_tags(session: DbSession, _: AdminUser) -> list[TagOut]:
    """Every tag, with how many conversations and contacts have it."""
    return [_tag_out(tag, conversations, contacts) for tag, conversations, contacts in admin.list_tags(session=session)]


@router.patch("/tags/{name}", response_model=TagOut)
def update_tag(name: Annotated[str, Path(max_length=100)], body: TagPatch, session: DbSession,
               user: AdminUser) -> TagOut:
    """Set a tag's colour, or the probability at which the classifier applies it on its own
    (`auto_apply_threshold`; null: it only suggests the tag)."""
    try:
        tag = admin.update_tag(session=session, actor=user, name=name, changes=body.model_dump(exclude_unset=True))
    except (admin.NotFound, admin.SettingError) as error:
        raise _refused(error) from None
    session.commit()
    return next(_tag_out(*row) for row in admin.list_tags(session=session) if row[0].id == tag.id)


@router.get("/conversations/{conversation_id}/tag-suggestions", response_model=list[SuggestionOut])
def tag_suggestions(conversation_id: Id, session: DbSession, user: CurrentUser) -> list[SuggestionOut]:
    """Tags the classifier thinks fit the conversation and it does not have yet, likeliest first."""
    if queries.visible(session=session, user=user, conversation_id=conversation_id) is None:
        raise HTTPException(404, "no such conversation")
    return [SuggestionOut(tag=s.tag, confidence=s.confidence, message_id=s.message_id,
                          model_version=s.model_version, created_at=s.created_at)
            for s in suggest.suggestions(session=session, conversation_id=conversation_id)]
