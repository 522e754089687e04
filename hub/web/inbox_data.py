"""What the inbox screen reads: list rows with names and previews, a conversation with its contact,
and the contact's whole history across the channels this agent may see."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from channels.webchat.identity import handle as webchat_handle
from hub.agents.models import Role, Team, TeamMember, User
from hub.agents.service import can_see_conversations, team_ids_of
from hub.assignment.models import ConversationAssignment
from hub.channel_records.models import Channel, TeamChannel
from hub.channel_records.service import adapter_of
from hub.contacts.models import ChannelIdentity, Contact
from hub.contacts.service import consent_status
from hub.conversations import outbound
from hub.conversations.models import Conversation, Message
from hub.conversations.queries import in_thread_order
from hub.conversations.views import items, message_out
from hub.media import service as media
from hub.runtime.db import as_utc
from hub.tags.models import Tag

PREVIEW_CHARS = 120


def _names(session: Session, model: Any, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    return {int(row[0]): str(row[1]) for row in session.execute(
        select(model.id, model.name).where(col(model.id).in_(ids)))}


def webchat_handles(session: Session, contact_ids: set[int]) -> dict[int, str]:
    """A name for nameless web chat visitors: their handle, never the raw session value."""
    if not contact_ids:
        return {}
    rows = session.exec(select(ChannelIdentity.contact_id, ChannelIdentity.value).where(
        col(ChannelIdentity.contact_id).in_(contact_ids), ChannelIdentity.kind == "webchat")
        .order_by(col(ChannelIdentity.id)))
    found: dict[int, str] = {}
    for contact_id, value in rows:
        found.setdefault(contact_id, webchat_handle(value))
    return found


def channels_by_id(session: Session, ids: set[int]) -> dict[int, Channel]:
    if not ids:
        return {}
    return {int(c.id or 0): c for c in session.exec(select(Channel).where(col(Channel.id).in_(ids)))}


def previews(session: Session, ids: list[int]) -> dict[int, dict[str, Any]]:
    """The newest message of each conversation, shortened."""
    if not ids:
        return {}
    newest = (select(func.max(Message.id)).where(col(Message.conversation_id).in_(ids))
              .group_by(col(Message.conversation_id)))
    rows = session.exec(select(Message).where(col(Message.id).in_(newest)))
    return {row.conversation_id: {"text": (row.text or "")[:PREVIEW_CHARS], "kind": row.kind,
                                  "direction": row.direction, "status": row.status, "created_at": row.created_at}
            for row in rows}


def list_rows(session: Session, rows: list[Conversation], q: str | None = None) -> list[dict[str, Any]]:
    """Conversations as the list shows them: with contact, channel and assignee names, tags and their sources,
    a preview and, when searching, the message that matched."""
    ids = [row.id or 0 for row in rows]
    contacts = _names(session, Contact, {row.contact_id for row in rows})
    contacts.update(webchat_handles(session, {cid for cid, name in contacts.items() if not name}))
    channels = channels_by_id(session, {row.channel_id for row in rows})
    assignees = _names(session, User, {row.assignee_id for row in rows if row.assignee_id})
    last = previews(session, ids)
    out = []
    for row, item in zip(rows, items(session, rows, q), strict=True):
        channel = channels.get(row.channel_id)
        out.append({**item.model_dump(), "contact_name": contacts.get(row.contact_id, ""),
                    "channel_name": channel.name if channel else "", "channel_kind": channel.kind if channel else "",
                    "assignee_name": assignees.get(row.assignee_id or 0), "preview": last.get(row.id or 0)})
    return out


def reply_window(conversation: Conversation, channel: Channel) -> dict[str, Any]:
    """Whether free text may be sent now (WhatsApp's 24-hour rule) and when that ends."""
    hours = adapter_of(channel.kind).reply_window_hours
    closes_at = None
    if hours is not None and conversation.last_inbound_at is not None:
        closes_at = as_utc(conversation.last_inbound_at) + timedelta(hours=hours)
    return {"hours": hours, "closed": outbound.window_closed(conversation, channel), "closes_at": closes_at}


def consent(session: Session, conversation: Conversation, channel: Channel) -> dict[str, Any]:
    """The contact's consent on this conversation's channel, and whether it stops every reply (STOP on SMS)."""
    assert channel.id is not None
    status = consent_status(session=session, contact_id=conversation.contact_id, channel_id=channel.id)
    return {"status": status, "blocks_replies": status == "opted_out" and adapter_of(channel.kind).optout_blocks_all}


def first_response_due(session: Session, conversation: Conversation) -> datetime | None:
    """When the first reply is due (the assignment's deadline), until someone answered."""
    if conversation.first_response_at is not None:
        return None
    held = session.get(ConversationAssignment, conversation.id)
    return as_utc(held.deadline_at) if held is not None and held.deadline_at is not None else None


def contact_conversations(session: Session, user: User, contact_id: int) -> list[Conversation]:
    """The contact's conversations on every channel this user may see."""
    query = select(Conversation).where(Conversation.contact_id == contact_id, can_see_conversations(session, user))
    return list(session.exec(query.order_by(col(Conversation.id))))


def attachments(message: Message) -> list[dict[str, Any]]:
    """Links to the stored attachments of a message (the browser opens them; nothing is inlined)."""
    out = []
    for entry in message.payload.get("attachments", []):
        if not isinstance(entry, dict):
            continue
        item = {"index": entry.get("index"), "status": entry.get("status"), "filename": entry.get("filename"),
                "content_type": entry.get("content_type"), "url": None}
        if entry.get("status") == "stored":
            item["url"] = f"/api/v1/messages/{message.id}/attachments/{entry.get('index')}"
        out.append(item)
    if not out and media.attachment_count(message):
        out.append({"index": 0, "status": "pending", "filename": None, "content_type": None, "url": None})
    media_url = message.payload.get("media_url")
    if isinstance(media_url, str) and media_url.startswith("https://"):
        out.append({"index": len(out), "status": "sent", "filename": None,
                    "content_type": message.payload.get("media_type"), "url": media_url})
    return out


def history(session: Session, user: User, conversation: Conversation, before_id: int | None, limit: int
            ) -> list[dict[str, Any]]:
    """The contact's messages on every visible channel, oldest first, each marked with its channel."""
    visible = contact_conversations(session, user, conversation.contact_id)
    ids = [c.id for c in visible]
    query = select(Message).where(col(Message.conversation_id).in_(ids))
    rows = in_thread_order(session, query, before_id, limit)
    channels = channels_by_id(session, {row.channel_id for row in rows})
    authors = _names(session, User, {row.author_id for row in rows if row.author_id})
    out = []
    for row in rows:
        channel = channels.get(row.channel_id)
        out.append({**message_out(row).model_dump(), "channel_name": channel.name if channel else "",
                    "channel_kind": channel.kind if channel else "", "author_name": authors.get(row.author_id or 0),
                    "attachments": attachments(row), "here": row.conversation_id == conversation.id})
    return out


def options(session: Session, user: User) -> dict[str, Any]:
    """Teams, channels, tags and colleagues for the inbox's filters and assign menu."""
    admin = user.role == Role.admin
    teams = team_ids_of(session=session, user_id=user.id or 0)
    team_query = select(Team).order_by(col(Team.name))
    channel_query = select(Channel).order_by(col(Channel.name))
    agent_query = select(User).where(col(User.is_active).is_(True), col(User.role).in_(["agent", "admin"]))
    if not admin:
        team_query = team_query.where(col(Team.id).in_(teams))
        channel_query = channel_query.where(col(Channel.id).in_(
            select(TeamChannel.channel_id).where(col(TeamChannel.team_id).in_(teams))))
        colleagues = select(TeamMember.user_id).where(col(TeamMember.team_id).in_(teams))
        agent_query = agent_query.where(or_(col(User.id).in_(colleagues), col(User.id) == user.id))
    tags = session.exec(select(Tag.name).order_by(col(Tag.name)).limit(500))
    return {
        "teams": [{"id": t.id, "name": t.name} for t in session.exec(team_query)],
        "channels": [{"id": c.id, "name": c.name, "kind": c.kind} for c in session.exec(channel_query)],
        "agents": [{"id": u.id, "name": u.name} for u in session.exec(agent_query.order_by(col(User.name)))],
        "tags": list(tags),
    }
