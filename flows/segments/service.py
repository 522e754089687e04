"""Saving segments, and their members: a query to build on, a count, and a preview for the builder."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from catalog.behaviour import BehaviourSettings
from flows.segments import compile as compiler
from flows.segments.definition import SegmentError, parse
from flows.segments.models import Segment
from hub.audit import service as audit
from hub.contacts.models import ChannelIdentity, Contact
from hub.runtime.db import utcnow
from hub.tags.models import ContactTag, Tag

__all__ = ["Conflict", "Member", "NotFound", "SegmentError", "count", "create", "delete", "get", "list_segments",
           "members_query", "preview", "update"]

MAX_NAME = 200


class NotFound(LookupError):
    """No segment with that id."""


class Conflict(ValueError):
    """Another segment already has that name."""


@dataclass(frozen=True)
class Identity:
    kind: str
    value: str


@dataclass(frozen=True)
class Member:
    """A contact as the segment builder's preview shows them."""

    id: int
    name: str
    locale: str | None
    identities: list[Identity] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


def _name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise SegmentError("name: a segment needs a name")
    if len(cleaned) > MAX_NAME:
        raise SegmentError(f"name: {len(cleaned)} characters is too long (at most {MAX_NAME})")
    return cleaned


def _store(session: Session, segment: Segment) -> None:
    try:
        with session.begin_nested():
            session.add(segment)
            session.flush()
    except IntegrityError:
        raise Conflict(f"another segment is called {segment.name!r}; choose another name") from None


def create(*, session: Session, name: str, definition: dict[str, Any], created_by: int | None = None) -> Segment:
    """Save a segment; its definition is checked whole first (`SegmentError`), its name must be free (`Conflict`)."""
    parse(definition)
    segment = Segment(name=_name(name), definition=definition, created_by=created_by)
    _store(session, segment)
    audit.record(session=session, actor_id=created_by, action="segment.created", target_type="segment",
                 target_id=segment.id, details={"name": segment.name, "definition": definition})
    return segment


def update(*, session: Session, segment_id: int, actor_id: int | None = None, name: str | None = None,
           definition: dict[str, Any] | None = None) -> Segment:
    """Rename a segment or replace its definition (what is not given stays)."""
    segment = get(session=session, segment_id=segment_id)
    before = {"name": segment.name, "definition": segment.definition}
    if definition is not None:
        parse(definition)
        segment.definition = definition
    if name is not None:
        segment.name = _name(name)
    segment.updated_at = utcnow()
    _store(session, segment)
    audit.record(session=session, actor_id=actor_id, action="segment.updated", target_type="segment",
                 target_id=segment.id, details={"before": before,
                                                "after": {"name": segment.name, "definition": segment.definition}})
    return segment


def get(*, session: Session, segment_id: int) -> Segment:
    segment = session.get(Segment, segment_id)
    if segment is None:
        raise NotFound("no segment with that id")
    return segment


def list_segments(*, session: Session) -> list[Segment]:
    """Every segment, by name."""
    return list(session.execute(select(Segment).order_by(col(Segment.name))).scalars())


def delete(*, session: Session, segment_id: int, actor_id: int | None = None) -> None:
    segment = get(session=session, segment_id=segment_id)
    details = {"name": segment.name, "definition": segment.definition}
    session.delete(segment)
    audit.record(session=session, actor_id=actor_id, action="segment.deleted", target_type="segment",
                 target_id=segment_id, details=details)


def members_query(session: Session, segment_or_definition: Segment | dict[str, Any], now: datetime | None = None,
                  *, settings: BehaviourSettings | None = None) -> Select[int]:
    """The SELECT of the member contacts' ids at `now`, to count, page or INSERT ... SELECT from.

    Raises `SegmentError` for an invalid definition (a saved one may predate a change in the rules).
    """
    definition = (segment_or_definition.definition if isinstance(segment_or_definition, Segment)
                  else segment_or_definition)
    return compiler.compile(session, definition, now or utcnow(), settings=settings)


def count(session: Session, segment_or_definition: Segment | dict[str, Any], now: datetime | None = None,
          *, settings: BehaviourSettings | None = None) -> int:
    """How many contacts are members now: one COUNT in the database."""
    query = members_query(session, segment_or_definition, now, settings=settings).subquery()
    return int(session.execute(select(func.count()).select_from(query)).scalar_one())


def preview(session: Session, segment_or_definition: Segment | dict[str, Any], now: datetime | None = None,
            *, limit: int = 20, settings: BehaviourSettings | None = None) -> list[Member]:
    """The first `limit` members (newest contacts first), with their identities and tags."""
    ids_query = members_query(session, segment_or_definition, now, settings=settings)
    ids = [int(i) for i in session.execute(ids_query.order_by(col(Contact.id).desc()).limit(limit)).scalars()]
    if not ids:
        return []
    contacts = {c.id: c for c in session.execute(select(Contact).where(col(Contact.id).in_(ids))).scalars()}
    identities = _grouped(session.execute(
        select(col(ChannelIdentity.contact_id), col(ChannelIdentity.kind), col(ChannelIdentity.value))
        .where(col(ChannelIdentity.contact_id).in_(ids)).order_by(col(ChannelIdentity.id))).all())
    tags = _grouped(session.execute(
        select(col(ContactTag.contact_id), col(Tag.name)).join(Tag, col(Tag.id) == col(ContactTag.tag_id))
        .where(col(ContactTag.contact_id).in_(ids)).order_by(col(Tag.name))).all())
    return [Member(id=i, name=contacts[i].name, locale=contacts[i].locale,
                   identities=[Identity(str(kind), str(value)) for kind, value in identities.get(i, [])],
                   tags=[str(name) for (name,) in tags.get(i, [])]) for i in ids]


def _grouped(rows: Sequence[Any]) -> dict[int, list[tuple[Any, ...]]]:
    grouped: dict[int, list[tuple[Any, ...]]] = {}
    for contact_id, *rest in rows:
        grouped.setdefault(int(contact_id), []).append(tuple(rest))
    return grouped
