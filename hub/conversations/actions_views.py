"""Inbox action routes: assign, status, tags, private notes, mark read, retry a failed reply, canned replies.

Every route finds its object through what the signed-in user may see: another team's
conversation, message or canned reply answers 404, exactly like one that does not exist.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, Path, Response
from pydantic import BaseModel, ConfigDict, Field

from hub.agents.models import Role, User
from hub.api.deps import CurrentUser, DbSession, StaffUser
from hub.assignment import service as assignment
from hub.conversations import actions, activity, automation, canned, outbound, queries
from hub.conversations.actions import ActionRefused
from hub.conversations.canned_models import CannedReply
from hub.conversations.models import Conversation
from hub.conversations.views import ConversationOut, MessageOut, message_out
from hub.jobs.tasks import send_message
from hub.runtime import broker
from hub.tags import details as tag_details
from hub.tags.details import TagDetail
from hub.webchat import typing as typing_indicator

router = APIRouter(prefix="/api/v1", tags=["inbox actions"])
Id = Annotated[int, Path(ge=1)]
TagName = Annotated[str, Path(min_length=1, max_length=actions.MAX_TAG_LENGTH)]


class ConversationState(ConversationOut):
    tags: list[str]
    tag_details: list[TagDetail]


class AssignIn(BaseModel):
    assignee_id: int | None = Field(description="an agent or admin who may see the conversation; null unassigns")


class TeamIn(BaseModel):
    team_id: int | None = Field(description="the team that handles it from now on; null: its channel's team again",
                                examples=[2])


class StatusIn(BaseModel):
    status: Literal["open", "pending", "snoozed", "resolved"]
    snoozed_until: datetime | None = Field(default=None, description="required with `snoozed`; ISO 8601")


class AutomationIn(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [{"mode": "bot"}, {"mode": "human"}]})

    mode: Literal["bot", "human"] = Field(
        description="`bot`: the bot answers (hand back); `human`: a person does, and no bot message is sent")


class NoteIn(BaseModel):
    text: str = Field(min_length=1, max_length=4096)


class CannedIn(BaseModel):
    shortcut: str = Field(min_length=1, max_length=50, examples=["thanks"])
    title: str = Field(default="", max_length=200)
    text: str = Field(min_length=1, max_length=canned.MAX_TEXT, examples=["Thank you {{contact.first_name}}!"])
    team_id: int | None = Field(default=None, description="null: shared with everyone (admins only)")


class CannedPatch(BaseModel):
    shortcut: str | None = Field(default=None, min_length=1, max_length=50)
    title: str | None = Field(default=None, max_length=200)
    text: str | None = Field(default=None, min_length=1, max_length=canned.MAX_TEXT)
    team_id: int | None = None


class CannedOut(BaseModel):
    id: int
    shortcut: str
    title: str
    text: str
    team_id: int | None
    created_by: int | None
    created_at: datetime
    updated_at: datetime


class RenderIn(BaseModel):
    conversation_id: int


class RenderOut(BaseModel):
    text: str


def _refused(error: ActionRefused) -> HTTPException:
    return HTTPException(error.status, str(error), headers={outbound.ERROR_HEADER: error.code} if error.code else None)


def _conversation(session: DbSession, user: User, conversation_id: int) -> Conversation:
    conversation = queries.visible(session=session, user=user, conversation_id=conversation_id)
    if conversation is None:
        raise HTTPException(404, "no such conversation")
    return conversation


def _state(session: DbSession, conversation: Conversation) -> ConversationState:
    session.refresh(conversation)
    tagged = tag_details.for_conversations(session, [conversation.id or 0])[conversation.id or 0]
    return ConversationState.model_validate({**conversation.model_dump(), "tags": [tag.name for tag in tagged],
                                             "tag_details": tagged})


@router.post("/conversations/{conversation_id}/assign", response_model=ConversationState)
def assign(conversation_id: Id, body: AssignIn, session: DbSession, user: StaffUser) -> ConversationState:
    """Give the conversation to an agent who may see it, or (null) put it back in the queue.
    A person's choice is never overridden by an assignment policy."""
    if user.role not in (Role.admin, Role.agent):
        raise HTTPException(403, "only agents and admins assign conversations")
    conversation = _conversation(session, user, conversation_id)
    if body.assignee_id is not None:
        target = session.get(User, body.assignee_id)
        if target is None or not target.is_active or target.role not in (Role.admin, Role.agent):
            raise HTTPException(422, "assignee_id must be an active agent or admin")
        if queries.visible(session=session, user=target, conversation_id=conversation_id) is None:
            raise HTTPException(422, f"{target.name} is not in a team that handles this conversation's channel")
    assignment.assign_manually(session=session, conversation=conversation, assignee_id=body.assignee_id, actor=user)
    session.commit()
    return _state(session, conversation)


@router.put("/conversations/{conversation_id}/automation", response_model=ConversationState)
def set_automation(conversation_id: Id, body: AutomationIn, session: DbSession, user: StaffUser
                   ) -> ConversationState:
    """Who answers the conversation: hand it back to the bot (`bot`), or take it (`human`). In `human` mode the
    delivery engine never sends a bot's message, even one queued before the switch."""
    conversation = _conversation(session, user, conversation_id)
    reason = f"handed back to the bot by {user.name}" if body.mode == "bot" else f"taken by {user.name}"
    automation.set_mode(session=session, conversation_id=conversation.id or 0, mode=body.mode,
                        actor=activity.Actor.agent(user.id), reason=reason)
    session.commit()
    return _state(session, conversation)


@router.post("/conversations/{conversation_id}/team", response_model=ConversationState)
def hand_to_team(conversation_id: Id, body: TeamIn, session: DbSession, user: StaffUser) -> ConversationState:
    """Hand the conversation to another team: it belongs to the team of its channel unless handed to another,
    and the `team_id` filter, access and assignment follow that. Its assignee keeps it."""
    if user.role not in (Role.admin, Role.agent):
        raise HTTPException(403, "only agents and admins hand conversations to a team")
    conversation = _conversation(session, user, conversation_id)
    try:
        actions.hand_to_team(session=session, conversation=conversation, team_id=body.team_id, actor_id=user.id)
    except ActionRefused as error:
        raise _refused(error) from None
    session.commit()
    return _state(session, conversation)


@router.post("/conversations/{conversation_id}/status", response_model=ConversationState)
def change_status(conversation_id: Id, body: StatusIn, session: DbSession, user: StaffUser) -> ConversationState:
    """Open, pending, snoozed until a moment (it reopens then, or on the customer's next message) or resolved."""
    conversation = _conversation(session, user, conversation_id)
    try:
        actions.set_status(session=session, conversation=conversation, status=body.status,
                           snoozed_until=body.snoozed_until, actor_id=user.id)
    except ActionRefused as error:
        raise _refused(error) from None
    session.commit()
    return _state(session, conversation)


@router.post("/conversations/{conversation_id}/tags/{name}", response_model=ConversationState)
def add_tag(conversation_id: Id, name: TagName, session: DbSession, user: StaffUser) -> ConversationState:
    """Put a tag on the conversation (a new tag name creates the tag). Doing it twice changes nothing."""
    conversation = _conversation(session, user, conversation_id)
    try:
        actions.add_tag(session=session, conversation=conversation, name=name, agent_id=user.id)
    except ActionRefused as error:
        raise _refused(error) from None
    session.commit()
    return _state(session, conversation)


@router.delete("/conversations/{conversation_id}/tags/{name}", response_model=ConversationState)
def remove_tag(conversation_id: Id, name: TagName, session: DbSession, user: StaffUser) -> ConversationState:
    """Take a tag off the conversation. A tag it does not have changes nothing."""
    conversation = _conversation(session, user, conversation_id)
    try:
        actions.remove_tag(session=session, conversation=conversation, name=name, agent_id=user.id)
    except ActionRefused as error:
        raise _refused(error) from None
    session.commit()
    return _state(session, conversation)


@router.post("/conversations/{conversation_id}/notes", response_model=MessageOut, status_code=201)
def add_note(conversation_id: Id, body: NoteIn, session: DbSession, user: StaffUser) -> MessageOut:
    """A private note for colleagues in the thread (kind `note`); it is never sent to the customer."""
    conversation = _conversation(session, user, conversation_id)
    try:
        note = actions.add_note(session=session, conversation=conversation, author_id=user.id, text=body.text)
    except ActionRefused as error:
        raise _refused(error) from None
    session.commit()
    return message_out(note)


@router.post("/conversations/{conversation_id}/read", response_model=ConversationState)
def mark_read(conversation_id: Id, session: DbSession, user: StaffUser) -> ConversationState:
    """The conversation's unread count goes back to 0."""
    conversation = _conversation(session, user, conversation_id)
    actions.mark_read(session=session, conversation=conversation)
    session.commit()
    return _state(session, conversation)


@router.post("/conversations/{conversation_id}/typing", status_code=204, response_class=Response)
def typing(conversation_id: Id, session: DbSession, user: StaffUser) -> Response:
    """Show the web chat visitor that this agent is typing (for a few seconds; the inbox calls it at most every
    3 s while the agent types). Best effort: on other channels, or when the visitor is away, nothing happens."""
    conversation = _conversation(session, user, conversation_id)
    typing_indicator.agent_typing(session=session, conversation=conversation, name=user.name)
    return Response(status_code=204)


@router.post("/messages/{message_id}/retry", response_model=MessageOut, status_code=202)
def retry(message_id: Id, session: DbSession, user: StaffUser) -> MessageOut:
    """Send a failed reply again: back to `queued`, and a send job is queued at once."""
    message = actions.visible_message(session=session, user=user, message_id=message_id)
    if message is None:
        raise HTTPException(404, "no such message")
    try:
        actions.retry(session=session, message=message)
    except ActionRefused as error:
        raise _refused(error) from None
    session.commit()
    broker.enqueue("outbound", send_message, message.id)  # the sweeper re-enqueues it if Redis is down
    return message_out(message)


@router.post("/conversations/{conversation_id}/messages/{message_id}/resend", response_model=MessageOut,
             status_code=202)
def resend(conversation_id: Id, message_id: Id, session: DbSession, user: StaffUser) -> MessageOut:
    """Send a message that may not have been sent (status `unknown`: the provider did not answer, and no receipt
    said it arrived) again, as a new message with the same content: only when a person asks, since the customer
    may have the first. Answers with the new message (`queued`); asking again gives the same one."""
    conversation = _conversation(session, user, conversation_id)
    message = actions.visible_message(session=session, user=user, message_id=message_id)
    if message is None or message.conversation_id != conversation.id:
        raise HTTPException(404, "no such message in this conversation")
    try:
        fresh, _ = actions.resend(session=session, message=message, author_id=user.id)
    except ActionRefused as error:
        raise _refused(error) from None
    session.commit()  # the send job is enqueued by the MESSAGE_CREATED listener
    return message_out(fresh)


def _canned_out(reply: CannedReply) -> CannedOut:
    return CannedOut.model_validate(reply, from_attributes=True)


def _canned(session: DbSession, user: User, reply_id: int) -> CannedReply:
    reply = canned.get_visible(session=session, user=user, reply_id=reply_id)
    if reply is None:
        raise HTTPException(404, "no such canned reply")
    return reply


@router.get("/canned-replies", response_model=list[CannedOut], tags=["canned replies"])
def list_canned(session: DbSession, user: CurrentUser, q: str | None = None) -> list[CannedOut]:
    """Replies shared with everyone and those of your teams, by shortcut; `q` searches shortcut, title and text."""
    return [_canned_out(row) for row in canned.visible(session=session, user=user, q=q or None)]


@router.post("/canned-replies", response_model=CannedOut, status_code=201, tags=["canned replies"])
def create_canned(body: CannedIn, session: DbSession, user: StaffUser) -> CannedOut:
    """A new canned reply. Placeholders: `{{contact.first_name}}`, `{{contact.last_name}}`, `{{contact.name}}`,
    `{{contact.phone}}`, `{{contact.fields.<custom field>}}`, `{{agent.name}}`, `{{agent.first_name}}`,
    `{{shop.name}}`; a missing value is left empty."""
    try:
        reply = canned.create(session=session, user=user, shortcut=body.shortcut, text=body.text, title=body.title,
                              team_id=body.team_id)
    except ActionRefused as error:
        raise _refused(error) from None
    session.commit()
    return _canned_out(reply)


@router.get("/canned-replies/{reply_id}", response_model=CannedOut, tags=["canned replies"])
def get_canned(reply_id: Id, session: DbSession, user: CurrentUser) -> CannedOut:
    return _canned_out(_canned(session, user, reply_id))


@router.patch("/canned-replies/{reply_id}", response_model=CannedOut, tags=["canned replies"])
def update_canned(reply_id: Id, body: CannedPatch, session: DbSession, user: StaffUser) -> CannedOut:
    reply = _canned(session, user, reply_id)
    try:
        canned.update(session=session, user=user, reply=reply, values=body.model_dump(exclude_unset=True))
    except ActionRefused as error:
        raise _refused(error) from None
    session.commit()
    return _canned_out(reply)


@router.delete("/canned-replies/{reply_id}", status_code=204, tags=["canned replies"])
def delete_canned(reply_id: Id, session: DbSession, user: StaffUser) -> Response:
    reply = _canned(session, user, reply_id)
    try:
        canned.delete(session=session, user=user, reply=reply)
    except ActionRefused as error:
        raise _refused(error) from None
    session.commit()
    return Response(status_code=204)


@router.post("/canned-replies/{reply_id}/render", response_model=RenderOut, tags=["canned replies"])
def render_canned(reply_id: Id, body: RenderIn, session: DbSession, user: CurrentUser) -> RenderOut:
    """The reply's text with its placeholders filled in for one conversation's contact."""
    reply = _canned(session, user, reply_id)
    conversation = _conversation(session, user, body.conversation_id)
    context = canned.context_for(session=session, conversation=conversation, agent=user)
    try:
        return RenderOut(text=canned.render(reply.text, context))
    except ActionRefused as error:
        raise _refused(error) from None
