"""Inbox routes: the conversation list, a thread, and replying."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, HTTPException, Query
from pydantic import BaseModel, ConfigDict, Field

from hub import search
from hub.api import pagination
from hub.api.deps import CurrentUser, DbSession
from hub.api_keys.deps import ConversationsReader, MessageSender
from hub.conversations import activity, outbound, queries
from hub.conversations.models import ActivityKind, ActorKind, Conversation, Message, MessageStatus
from hub.tags import details as tag_details
from hub.tags.details import TagDetail

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
    automation_mode: Literal["bot", "human"] = Field(
        default="human", description="who answers: the bot, or a person (then no bot message is ever sent)")
    created_at: datetime


class SearchMatch(BaseModel):
    """The newest message of the conversation containing the search text `q`, cut around the first hit."""

    model_config = ConfigDict(json_schema_extra={"example": {
        "message_id": 4211, "text": "…上個禮拜買嘅外套想退款，請問點樣處理？", "created_at": "2026-12-05T09:14:03Z"}})

    message_id: int = Field(description="open the thread at this message")
    text: str = Field(description=f"up to {search.SNIPPET} characters of its text around the hit, `…` where cut")
    created_at: datetime


class ConversationItem(ConversationOut):
    tags: list[str] = Field(description="tag names, alphabetical")
    tag_details: list[TagDetail] = Field(description="each tag with what applied it (agent, rule, classifier)")
    match: SearchMatch | None = Field(
        default=None, description="only when searching (`q`): the newest message that contains the text; "
        "a search covers every status unless `status` is given")


class ConversationPage(BaseModel):
    items: list[ConversationItem]
    next_cursor: str | None


class ActivityOut(BaseModel):
    """One line of what happened to a conversation, shown in the thread between its messages."""

    model_config = ConfigDict(json_schema_extra={"example": {
        "id": 88, "conversation_id": 12, "kind": "tagged", "actor": "rule", "agent_id": None, "agent_name": None,
        "rule_id": 3, "rule_name": "退款", "confidence": None, "policy": None, "tag": "退款", "assignee_id": None,
        "assignee_name": None, "team_id": None, "team_name": None, "reason": None,
        "created_at": "2026-12-05T09:14:04Z"}})

    id: int
    conversation_id: int
    kind: ActivityKind = Field(description="what happened; `contact_tagged`: the contact (not only this "
                               "conversation) got `tag`")
    actor: ActorKind = Field(description="who or what did it: an agent (`agent_id`), a tag rule (`rule_id`, "
                             "`rule_name`), the classifier (`confidence`), an assignment policy (`policy`), the "
                             "customer writing again, or Hub itself (a snooze ending)")
    agent_id: int | None
    agent_name: str | None
    rule_id: int | None
    rule_name: str | None
    confidence: float | None
    policy: str | None = Field(description="the assignment policy's kind, e.g. `round_robin`")
    tag: str | None
    assignee_id: int | None
    assignee_name: str | None
    team_id: int | None = Field(description="with `team_changed`: the team it was handed to (null: back to its "
                                "channel's team)")
    team_name: str | None
    reason: str | None = Field(description="why, in English for the log (the inbox words each kind itself)")
    created_at: datetime


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
    user: ConversationsReader,
    status: Annotated[Literal["open", "pending", "snoozed", "resolved"] | None, Query(
        description="only conversations in this status; without it every status (a search included)")] = None,
    assignee: Annotated[str | None, Query(pattern=r"^(me|none|\d+)$")] = None,
    team_id: Annotated[int | None, Query(description="conversations of this team: those handed to it, and those "
                                         "on its channels that were not handed to another team")] = None,
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
    return ConversationPage(items=items(session, page, q), next_cursor=next_cursor)


def items(session: DbSession, rows: list[Conversation], q: str | None = None) -> list[ConversationItem]:
    """Conversations with their tags' sources and, when searching, the message that matched."""
    ids = [row.id or 0 for row in rows]
    tagged = tag_details.for_conversations(session, ids)
    matches = search.newest_matches(session, ids, q) if q else {}
    return [ConversationItem(**conversation_out(row).model_dump(), tags=[tag.name for tag in tagged[row.id or 0]],
                             tag_details=tagged[row.id or 0],
                             match=SearchMatch(**vars(matches[row.id or 0])) if row.id in matches else None)
            for row in rows]


def _visible(session: DbSession, user: CurrentUser, conversation_id: int) -> Conversation:
    conversation = queries.visible(session=session, user=user, conversation_id=conversation_id)
    if conversation is None:
        raise HTTPException(404, "no such conversation")
    return conversation


@router.get("/{conversation_id}", response_model=ConversationItem)
def get_conversation(conversation_id: int, session: DbSession, user: ConversationsReader) -> ConversationItem:
    return items(session, [_visible(session, user, conversation_id)])[0]


@router.get("/{conversation_id}/activity", response_model=list[ActivityOut])
def list_activity(conversation_id: int, session: DbSession, user: CurrentUser,
                  limit: Annotated[int, Query(ge=1, le=500)] = 200) -> list[ActivityOut]:
    """Who or what assigned, reassigned, tagged, resolved or reopened the conversation, and why; oldest first
    (the latest `limit` lines)."""
    conversation = _visible(session, user, conversation_id)
    rows = activity.lines(session, conversation_id=conversation.id or 0, limit=limit)
    names = activity.user_names(session, {i for row in rows for i in (row.agent_id, row.assignee_id) if i})
    teams = activity.team_names(session, {row.team_id for row in rows if row.team_id})
    return [ActivityOut(**row.model_dump(), agent_name=names.get(row.agent_id or 0),
                        assignee_name=names.get(row.assignee_id or 0), team_name=teams.get(row.team_id or 0))
            for row in rows]


@router.get("/{conversation_id}/messages", response_model=list[MessageOut])
def list_messages(
    conversation_id: int, session: DbSession, user: ConversationsReader,
    before_id: int | None = None, limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> list[MessageOut]:
    """The thread, oldest first; `before_id` pages back in history."""
    conversation = _visible(session, user, conversation_id)
    return [message_out(row) for row in queries.thread(session=session, conversation=conversation, limit=limit,
                                                       before_id=before_id)]


@router.post("/{conversation_id}/messages", response_model=MessageOut, status_code=202)
def reply(
    conversation_id: int, body: ReplyIn, session: DbSession, user: MessageSender,
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
