"""JSON the inbox screen reads: `/api/v1/inbox/...`. Every row is limited to what the user may see."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Path, Query
from pydantic import BaseModel

from channels.webchat.identity import handle as webchat_handle
from hub.api import pagination
from hub.api.deps import CurrentUser, DbSession
from hub.channel_records.models import Channel
from hub.contacts.models import Contact
from hub.contacts.views import ContactOut, contact_out
from hub.conversations import queries
from hub.conversations.views import ConversationItem, MessageOut
from hub.web import inbox_data

router = APIRouter(prefix="/api/v1/inbox", tags=["inbox"])
Id = Annotated[int, Path(ge=1)]


class Preview(BaseModel):
    text: str
    kind: str
    direction: str
    status: str
    created_at: datetime


class InboxRow(ConversationItem):
    contact_name: str
    channel_name: str
    channel_kind: str
    assignee_name: str | None
    preview: Preview | None


class InboxPage(BaseModel):
    items: list[InboxRow]
    next_cursor: str | None


class Named(BaseModel):
    id: int
    name: str


class ChannelRef(Named):
    kind: str


class Options(BaseModel):
    teams: list[Named]
    channels: list[ChannelRef]
    agents: list[Named]
    tags: list[str]


class ReplyWindow(BaseModel):
    hours: int | None
    closed: bool
    closes_at: datetime | None


class ConsentState(BaseModel):
    status: Literal["opted_in", "opted_out"] | None
    blocks_replies: bool
    """True when this opt-out stops every reply on the channel (STOP on SMS): the composer is disabled."""


class OtherConversation(BaseModel):
    id: int
    channel_id: int
    channel_name: str
    channel_kind: str
    status: str


class ConversationDetail(BaseModel):
    conversation: InboxRow
    contact: ContactOut
    channel: ChannelRef
    reply_window: ReplyWindow
    consent: ConsentState
    first_response_due_at: datetime | None
    """The first-response deadline while nobody has answered yet (the team's deadline; null: none)."""
    conversations: list[OtherConversation]
    channel_names: dict[int, str]


class Attachment(BaseModel):
    index: int | None
    status: str | None
    filename: str | None
    content_type: str | None
    url: str | None


class HistoryMessage(MessageOut):
    channel_name: str
    channel_kind: str
    author_name: str | None
    attachments: list[Attachment]
    here: bool


@router.get("/options", response_model=Options)
def options(session: DbSession, user: CurrentUser) -> dict[str, Any]:
    """Teams, channels, tags and colleagues for the filters and the assign menu."""
    return inbox_data.options(session, user)


@router.get("/conversations", response_model=InboxPage)
def list_conversations(
    session: DbSession,
    user: CurrentUser,
    status: Annotated[Literal["open", "pending", "snoozed", "resolved"] | None, Query(
        description="only conversations in this status; without it every status (a search included)")] = None,
    assignee: Annotated[str | None, Query(pattern=r"^(me|none|\d+)$")] = None,
    team_id: int | None = None,
    channel_id: int | None = None,
    tag: str | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> dict[str, Any]:
    """The same filters as `GET /api/v1/conversations`, with names, tags and a preview on each row."""
    filters = queries.ConversationFilter(status=status, assignee=assignee, team_id=team_id, channel_id=channel_id,
                                         tag=tag or None, q=q or None)
    after = pagination.decode(cursor) if cursor else None
    rows = queries.list_conversations(session=session, user=user, filters=filters, limit=limit + 1, after=after)
    page, more = rows[:limit], len(rows) > limit
    next_cursor = pagination.encode(page[-1].last_activity_at, page[-1].id or 0) if more and page else None
    return {"items": inbox_data.list_rows(session, page, q=q or None), "next_cursor": next_cursor}


@router.get("/conversations/{conversation_id}", response_model=ConversationDetail)
def conversation_detail(conversation_id: Id, session: DbSession, user: CurrentUser) -> dict[str, Any]:
    """A conversation with its contact, its channel's reply window and the contact's other conversations."""
    conversation = queries.visible(session=session, user=user, conversation_id=conversation_id)
    if conversation is None:
        raise HTTPException(404, "no such conversation")
    contact = session.get(Contact, conversation.contact_id)
    channel = session.get(Channel, conversation.channel_id)
    assert contact is not None and channel is not None
    others = inbox_data.contact_conversations(session, user, conversation.contact_id)
    channels = inbox_data.channels_by_id(session, {c.channel_id for c in others})
    contact_view = contact_out(session, contact)
    for identity in contact_view.identities:  # a web chat session value is the visitor's secret: show the handle
        if identity.kind == "webchat":
            identity.value = webchat_handle(identity.value)
    consent_channels = inbox_data.channels_by_id(session, {c.channel_id for c in contact_view.consent})
    return {
        "conversation": inbox_data.list_rows(session, [conversation])[0],
        "contact": contact_view,
        "channel": {"id": channel.id, "name": channel.name, "kind": channel.kind},
        "reply_window": inbox_data.reply_window(conversation, channel),
        "consent": inbox_data.consent(session, conversation, channel),
        "first_response_due_at": inbox_data.first_response_due(session, conversation),
        "conversations": [{"id": c.id, "channel_id": c.channel_id, "channel_name": channels[c.channel_id].name,
                           "channel_kind": channels[c.channel_id].kind, "status": c.status} for c in others],
        "channel_names": {cid: c.name for cid, c in {**channels, **consent_channels}.items()},
    }


@router.get("/conversations/{conversation_id}/history", response_model=list[HistoryMessage])
def history(conversation_id: Id, session: DbSession, user: CurrentUser, before_id: int | None = None,
            limit: Annotated[int, Query(ge=1, le=200)] = 50) -> list[dict[str, Any]]:
    """The contact's messages on every channel you may see, oldest first; `here` marks this conversation's."""
    conversation = queries.visible(session=session, user=user, conversation_id=conversation_id)
    if conversation is None:
        raise HTTPException(404, "no such conversation")
    return inbox_data.history(session, user, conversation, before_id, limit)

