"""Canned replies: listing what an agent may use, editing them, and filling in their placeholders.

Placeholders are Jinja2 expressions (`{{contact.first_name}}`, `{{agent.name}}`, `{{shop.name}}`,
`{{contact.fields.member_no}}`) rendered in a sandbox: a template cannot reach Python objects, and
a missing value renders as nothing rather than an error.
"""

from __future__ import annotations

import re
from typing import Any

from jinja2 import ChainableUndefined
from sqlalchemy import or_
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from hub import placeholders
from hub.agents.models import Role, User
from hub.agents.service import team_ids_of
from hub.contacts.models import ChannelIdentity, Contact
from hub.conversations.actions import ActionRefused
from hub.conversations.canned_models import CannedReply
from hub.conversations.models import Conversation
from hub.runtime.db import utcnow
from hub.runtime.settings import get_settings

SHORTCUT = re.compile(r"^[\w-]{1,50}$")
MAX_TEXT = 4096
_env = placeholders.environment(ChainableUndefined)


def _teams(session: Session, user: User) -> list[int]:
    return team_ids_of(session=session, user_id=user.id or 0)


def visible(*, session: Session, user: User, q: str | None = None) -> list[CannedReply]:
    """Shared replies and those of the user's teams (admins: all), by shortcut; `q` searches both texts."""
    query = select(CannedReply)
    if user.role != Role.admin:
        teams = _teams(session, user)
        query = query.where(or_(col(CannedReply.team_id).is_(None), col(CannedReply.team_id).in_(teams)))
    if q:
        query = query.where(or_(col(CannedReply.shortcut).contains(q, autoescape=True),
                                col(CannedReply.title).contains(q, autoescape=True),
                                col(CannedReply.text).contains(q, autoescape=True)))
    return list(session.exec(query.order_by(col(CannedReply.shortcut)).limit(200)))


def get_visible(*, session: Session, user: User, reply_id: int) -> CannedReply | None:
    reply = session.get(CannedReply, reply_id)
    if reply is None:
        return None
    if user.role == Role.admin or reply.team_id is None or reply.team_id in _teams(session, user):
        return reply
    return None


def _check(shortcut: str, text: str) -> None:
    if not SHORTCUT.match(shortcut):
        raise ActionRefused("the shortcut is 1 to 50 letters, digits, '_' or '-' (no spaces)")
    if not text.strip() or len(text) > MAX_TEXT:
        raise ActionRefused(f"the text must have 1 to {MAX_TEXT} characters")
    try:
        # values and a few filters only: no loops, calls or arithmetic (`{{ 'x' * 10**9 }}` would eat memory)
        placeholders.check(_env, text)
    except placeholders.PlaceholderRefused as refused:
        raise ActionRefused(str(refused)) from None


def _team_for(session: Session, user: User, team_id: int | None) -> int | None:
    """Admins may share a reply with everyone (None) or give it to any team; agents to their own teams."""
    if user.role == Role.admin:
        return team_id
    if user.role != Role.agent:
        raise ActionRefused("only agents and admins keep canned replies", 403)
    teams = _teams(session, user)
    if team_id is None and len(teams) == 1:
        return teams[0]
    if team_id is None or team_id not in teams:
        raise ActionRefused("team_id must be one of your teams (only admins share a reply with everyone)")
    return team_id


def may_edit(*, session: Session, user: User, reply: CannedReply) -> bool:
    if user.role == Role.admin:
        return True
    return user.role == Role.agent and reply.team_id is not None and reply.team_id in _teams(session, user)


def create(*, session: Session, user: User, shortcut: str, text: str, title: str = "",
           team_id: int | None = None) -> CannedReply:
    _check(shortcut, text)
    reply = CannedReply(shortcut=shortcut, title=title.strip(), text=text, team_id=_team_for(session, user, team_id),
                        created_by=user.id)
    try:
        with session.begin_nested():
            session.add(reply)
            session.flush()
    except IntegrityError:
        raise ActionRefused(f"the shortcut /{shortcut} is taken already", 409) from None
    return reply


def update(*, session: Session, user: User, reply: CannedReply, values: dict[str, Any]) -> CannedReply:
    if not may_edit(session=session, user=user, reply=reply):
        raise ActionRefused("only an admin or the reply's team may change it", 403)
    # null for a text field means "leave it" (team_id null is meaningful: shared with everyone)
    values = {key: value for key, value in values.items() if value is not None or key == "team_id"}
    shortcut, text = values.get("shortcut", reply.shortcut), values.get("text", reply.text)
    _check(shortcut, text)
    if "team_id" in values:
        reply.team_id = _team_for(session, user, values["team_id"])
    reply.shortcut, reply.text = shortcut, text
    reply.title = str(values.get("title", reply.title)).strip()
    reply.updated_at = utcnow()
    try:
        with session.begin_nested():
            session.add(reply)
            session.flush()
    except IntegrityError:
        raise ActionRefused(f"the shortcut /{shortcut} is taken already", 409) from None
    return reply


def delete(*, session: Session, user: User, reply: CannedReply) -> None:
    if not may_edit(session=session, user=user, reply=reply):
        raise ActionRefused("only an admin or the reply's team may delete it", 403)
    session.delete(reply)


def first_and_last(name: str, fields: dict[str, Any]) -> tuple[str, str]:
    """A first and last name: the contact's own fields if set, else the name split at its first space.

    A name without spaces (陳大文, 鈴木花子) cannot be split safely, so it is used whole.
    """
    first, last = fields.get("first_name"), fields.get("last_name")
    if isinstance(first, str) and first:
        return first, last if isinstance(last, str) else ""
    parts = name.split(maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 else (name, "")


def context_for(*, session: Session, conversation: Conversation, agent: User) -> dict[str, Any]:
    """The values placeholders may use for this conversation and agent."""
    contact = session.get(Contact, conversation.contact_id)
    assert contact is not None
    fields = dict(contact.custom_fields or {})
    first, last = first_and_last(contact.name, fields)
    phone = session.exec(select(ChannelIdentity.phone).where(
        ChannelIdentity.contact_id == contact.id, col(ChannelIdentity.phone).is_not(None))
        .order_by(col(ChannelIdentity.id))).first()
    agent_first, _ = first_and_last(agent.name, {})
    return {
        "contact": {"name": contact.name, "first_name": first, "last_name": last, "phone": phone or "",
                    "fields": fields},
        "agent": {"name": agent.name, "first_name": agent_first, "email": agent.email},
        "shop": {"name": get_settings().shop_name},
    }


def render(text: str, context: dict[str, Any]) -> str:
    """The text with its placeholders filled in; missing values become empty."""
    try:
        return placeholders.render(_env, text, context, max_chars=MAX_TEXT)
    except Exception as error:  # the sandbox's SecurityError, a range too big, a filter given a wrong value
        raise ActionRefused(f"the canned reply could not be filled in: {error}") from None
