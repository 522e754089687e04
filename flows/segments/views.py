"""Segment routes, for marketers and admins: saved segments, and a live count with a preview of members."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, Response
from pydantic import BaseModel, ConfigDict, Field

from flows.segments import service
from flows.segments.models import Segment
from hub.api.deps import DbSession, MarketerUser

router = APIRouter(prefix="/api/v1/segments", tags=["segments"])

Id = Annotated[int, Path(ge=1)]
GRAMMAR = (
    "A group or a condition. Groups nest (at most 8 deep, 100 conditions): `{\"all\": [...]}`, "
    "`{\"any\": [...]}`, `{\"not\": {...}}`. Conditions: `{\"tag\": \"VIP\"}`; "
    "`{\"tag_in\": [\"VIP\", \"新客\"]}`; `{\"has_channel\": \"whatsapp\" | \"sms\" | \"telegram\" | "
    "\"webchat\"}`; `{\"channel_id\": 3}` (has a conversation there); "
    "`{\"field\": \"city\", \"op\": \"eq\" | \"ne\" | \"in\" | \"contains\" | \"exists\", "
    "\"value\": ...}` (a custom field; `exists` takes no value); "
    "`{\"consent\": \"opted_in\" | \"not_opted_out\", \"channel_id\": 3}` (channel optional); "
    "`{\"locale\": [\"ja\", \"zh_Hant\"]}`; `{\"last_inbound\": {\"within_days\": 30} | "
    "{\"not_within_days\": 90}}`; `{\"orders\": {\"count_gte\", \"count_lte\", \"total_gte\", "
    "\"total_lte\" (minor units, with \"currency\"), \"last_within_days\", \"last_before_days\"}}` "
    "(paid orders); `{\"lifecycle\": [\"loyal sleeping\", ...]}` (cells: new / repeat / loyal × active / "
    "sleeping / lost). A wrong definition gets 422 naming where (`all[1].orders: ...`).")
Definition = Annotated[dict[str, Any], Field(
    examples=[{"all": [{"tag": "VIP"}, {"consent": "not_opted_out"}, {"lifecycle": ["loyal sleeping"]}]},
              {"any": [{"locale": ["ja"]}, {"not": {"last_inbound": {"within_days": 90}}}]},
              {"all": [{"orders": {"count_gte": 2, "total_gte": 100000, "currency": "HKD"}},
                       {"field": "city", "op": "in", "value": ["香港", "九龍"]}]}],
    description=GRAMMAR)]


class SegmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=service.MAX_NAME, examples=["香港 VIP"])
    definition: Definition


class SegmentPatch(BaseModel):
    """Only the fields given change."""

    model_config = ConfigDict(extra="forbid")

    name: str | None = Field(default=None, min_length=1, max_length=service.MAX_NAME)
    definition: Definition | None = None


class SegmentOut(BaseModel):
    id: int
    name: str
    definition: dict[str, Any]
    created_by: int | None
    created_at: datetime
    updated_at: datetime


class PreviewIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    definition: Definition
    limit: int = Field(default=20, ge=0, le=100)


class IdentityOut(BaseModel):
    kind: str
    value: str


class MemberOut(BaseModel):
    id: int
    name: str
    locale: str | None
    identities: list[IdentityOut]
    tags: list[str]


class PreviewOut(BaseModel):
    count: int = Field(description="how many contacts are members now")
    members: list[MemberOut] = Field(description="the newest members first, at most `limit` of them")


def _out(segment: Segment) -> SegmentOut:
    return SegmentOut(id=segment.id or 0, name=segment.name, definition=segment.definition,
                      created_by=segment.created_by, created_at=segment.created_at, updated_at=segment.updated_at)


def _refused(error: Exception) -> HTTPException:
    code = 404 if isinstance(error, service.NotFound) else 409 if isinstance(error, service.Conflict) else 422
    return HTTPException(code, str(error))


def _preview(session: DbSession, source: Segment | dict[str, Any], limit: int) -> PreviewOut:
    try:
        members = service.preview(session, source, limit=limit)
        total = service.count(session, source)
    except service.SegmentError as error:
        raise _refused(error) from None
    return PreviewOut(count=total, members=[MemberOut(
        id=m.id, name=m.name, locale=m.locale, tags=m.tags,
        identities=[IdentityOut(kind=i.kind, value=i.value) for i in m.identities]) for m in members])


@router.get("", response_model=list[SegmentOut])
def list_segments(session: DbSession, _: MarketerUser) -> list[SegmentOut]:
    """Every saved segment, by name."""
    return [_out(segment) for segment in service.list_segments(session=session)]


@router.post("", response_model=SegmentOut, status_code=201)
def create_segment(body: SegmentIn, session: DbSession, user: MarketerUser) -> SegmentOut:
    """Save a segment; a definition that cannot be compiled is refused with the reason (422)."""
    try:
        segment = service.create(session=session, name=body.name, definition=body.definition, created_by=user.id)
    except (service.SegmentError, service.Conflict) as error:
        raise _refused(error) from None
    session.commit()
    return _out(segment)


@router.post("/preview", response_model=PreviewOut)
def preview_definition(body: PreviewIn, session: DbSession, _: MarketerUser) -> PreviewOut:
    """The live count and first members of a definition being built (nothing is saved)."""
    return _preview(session, body.definition, body.limit)


@router.get("/{segment_id}", response_model=SegmentOut)
def get_segment(segment_id: Id, session: DbSession, _: MarketerUser) -> SegmentOut:
    try:
        return _out(service.get(session=session, segment_id=segment_id))
    except service.NotFound as error:
        raise _refused(error) from None


@router.patch("/{segment_id}", response_model=SegmentOut)
def update_segment(segment_id: Id, body: SegmentPatch, session: DbSession, user: MarketerUser) -> SegmentOut:
    try:
        segment = service.update(session=session, segment_id=segment_id, actor_id=user.id, name=body.name,
                                 definition=body.definition)
    except (service.NotFound, service.SegmentError, service.Conflict) as error:
        raise _refused(error) from None
    session.commit()
    return _out(segment)


@router.delete("/{segment_id}", status_code=204)
def delete_segment(segment_id: Id, session: DbSession, user: MarketerUser) -> Response:
    try:
        service.delete(session=session, segment_id=segment_id, actor_id=user.id)
    except service.NotFound as error:
        raise _refused(error) from None
    session.commit()
    return Response(status_code=204)


@router.get("/{segment_id}/preview", response_model=PreviewOut)
def preview_segment(segment_id: Id, session: DbSession, _: MarketerUser,
                    limit: Annotated[int, Query(ge=0, le=100)] = 20) -> PreviewOut:
    """The saved segment's count and first members, now."""
    try:
        segment = service.get(session=session, segment_id=segment_id)
    except service.NotFound as error:
        raise _refused(error) from None
    return _preview(session, segment, limit)
