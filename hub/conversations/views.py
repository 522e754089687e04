"""Inbox routes: the conversation list, a thread, and replying."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, HTTPException, Query
from pydantic import BaseModel, Field

from hub.api import pagination
from hub.api.deps import CurrentUser, DbSession, StaffUser
from hub.conversations import outbound, queries
from hub.conversations.models import Conversation, Message, MessageStatus

router = APIRouter(prefix="/api/v1/conversations", tags=["conversations"])


class ConversationOut(BaseModel):
    id: int
    contact_id: int
    channel_id: int
    status: str
    assignee_id: int | None
    team_id: int | None
    unread_count: int
    last_activity_at: datetime
    last_inbound_at: datetime | None
    first_response_at: datetime | None
    resolved_at: datetime | None
    snoozed_until: datetime | None
    created_at: datetime


class ConversationPage(BaseModel):
    items: list[ConversationOut]
    next_cursor: str | None


class MessageOut(BaseModel):
    id: int
    conversation_id: int
    channel_id: int
    direction: str
    kind: str
    text: str | None
    payload: dict[str, Any]
    status: MessageStatus = Field(description=(
        "`received` (inbound); outbound `queued`, `sending`, `sent`, `delivered`, `read` or `failed`; `unknown`: "
        "the provider was called and never said whether it took the message (a timeout, or a worker that died "
        "mid-send). An `unknown` message is never sent again by itself: a receipt settles it, or a person resends "
        "it (`POST /api/v1/conversations/{id}/messages/{message_id}/resend`)."))
    provider_message_id: str | None
    error_code: str | None
    error_reason: str | None
    author_id: int | None
    created_at: datetime
    occurred_at: datetime
    sent_at: datetime | None
    delivered_at: datetime | None
    read_at: datetime | None
    failed_at: datetime | None


class ReplyIn(BaseModel):
    text: str | None = Field(default=None, max_length=4096)
    kind: Literal["text", "media", "buttons", "list", "template", "product", "product_list"] = "text"
    payload: dict[str, Any] = Field(default_factory=dict)


def conversation_out(row: Conversation) -> ConversationOut:
    return ConversationOut.model_validate(row, from_attributes=True)


def message_out(row: Message) -> MessageOut:
    return MessageOut.model_validate(row, from_attributes=True)


@router.get("", response_model=ConversationPage)
def list_conversations(
    session: DbSession,
    user: CurrentUser,
    status: Literal["open", "pending", "snoozed", "resolved"] | None = None,
    assignee: Annotated[str | None, Query(pattern=r"^(me|none|\d+)$")] = None,
    team_id: int | None = None,
    channel_id: int | None = None,
    tag: str | None = None,
    q: Annotated[str | None, Query(max_length=200)] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ConversationPage:
    """Conversations this user may see, newest activity first."""
    filters = queries.ConversationFilter(status=status, assignee=assignee, team_id=team_id,
                                         channel_id=channel_id, tag=tag, q=q or None)
    after = pagination.decode(cursor) if cursor else None
    rows = queries.list_conversations(session=session, user=user, filters=filters, limit=limit + 1, after=after)
    page, more = rows[:limit], len(rows) > limit
    next_cursor = pagination.encode(page[-1].last_activity_at, page[-1].id or 0) if more and page else None
    return ConversationPage(items=[conversation_out(row) for row in page], next_cursor=next_cursor)


def _visible(session: DbSession, user: CurrentUser, conversation_id: int) -> Conversation:
    conversation = queries.visible(session=session, user=user, conversation_id=conversation_id)
    if conversation is None:
        raise HTTPException(404, "no such conversation")
    return conversation


@router.get("/{conversation_id}", response_model=ConversationOut)
def get_conversation(conversation_id: int, session: DbSession, user: CurrentUser) -> ConversationOut:
    return conversation_out(_visible(session, user, conversation_id))


@router.get("/{conversation_id}/messages", response_model=list[MessageOut])
def list_messages(
    conversation_id: int, session: DbSession, user: CurrentUser,
    before_id: int | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[MessageOut]:
    """The thread, oldest first; `before_id` pages back in history."""
    conversation = _visible(session, user, conversation_id)
    return [message_out(row) for row in queries.thread(session=session, conversation=conversation, limit=limit,
                                                       before_id=before_id)]


@router.post("/{conversation_id}/messages", response_model=MessageOut, status_code=202)
def reply(
    conversation_id: int, body: ReplyIn, session: DbSession, user: StaffUser,
    idempotency_key: Annotated[str | None, Header(max_length=100)] = None,
) -> MessageOut:
    """Queue a reply on the customer's channel; it answers at once with status `queued`."""
    conversation = _visible(session, user, conversation_id)
    if body.kind == "text" and not (body.text or "").strip():
        raise HTTPException(422, "a text reply needs some text")
    try:
        message, _ = outbound.queue_reply(
            session=session, conversation=conversation, author_id=user.id, text=body.text, kind=body.kind,
            payload=body.payload, client_key=idempotency_key,
        )
    except outbound.ReplyRefused as refused:
        raise HTTPException(422, str(refused), headers=refused.headers) from None
    session.commit()  # the send job is enqueued by the MESSAGE_CREATED listener
    return message_out(message)
