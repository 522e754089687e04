"""What an agent does to a conversation besides replying: status, tags, private notes, read, retry, resend.

Each function works in the caller's transaction and emits the event that live views follow.
Access is the caller's business: pass only conversations and messages the user may see.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from hub.agents.models import Team, User
from hub.agents.service import can_see_conversations
from hub.channel_records.models import Channel
from hub.conversations import activity, outbound
from hub.conversations.models import ActivityKind, Conversation, ConversationStatus, Message, MessageStatus
from hub.outbound import engine
from hub.privacy.cards import mask_cards
from hub.runtime import events
from hub.runtime.db import as_utc, utcnow
from hub.tags.models import ConversationTag, Tag

NOTE_KIND = "note"
MAX_TAG_LENGTH = 100


class ActionRefused(ValueError):
    """The action does not apply (a sentence a person understands); `status` is the HTTP code to answer,
    `code` (when set) a stable name of the reason that the UI translates."""

    def __init__(self, message: str, status: int = 422, code: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def visible_message(*, session: Session, user: User, message_id: int) -> Message | None:
    """The message if its conversation is one this user may see; None otherwise."""
    query = (select(Message).join(Conversation, col(Conversation.id) == col(Message.conversation_id))
             .where(col(Message.id) == message_id, can_see_conversations(session, user)))
    return session.exec(query).first()


def set_status(*, session: Session, conversation: Conversation, status: str,
               snoozed_until: datetime | None = None, actor_id: int | None = None) -> Conversation:
    """Open, pending, snoozed (until a moment in the future) or resolved; `actor_id`: the agent who did it."""
    before = conversation.status
    if status not in ConversationStatus.__members__:
        raise ActionRefused(f"status must be one of {', '.join(ConversationStatus.__members__)}")
    now = utcnow()
    values: dict[str, object] = {"status": status, "snoozed_until": None}
    if status == ConversationStatus.snoozed:
        if snoozed_until is None or as_utc(snoozed_until) <= now:
            raise ActionRefused("snoozed_until must be a moment in the future", code="snooze_past")
        values["snoozed_until"] = as_utc(snoozed_until)
    values["resolved_at"] = now if status == ConversationStatus.resolved else None
    session.execute(update(Conversation).where(col(Conversation.id) == conversation.id).values(**values))
    session.refresh(conversation)
    if status != before:
        kind = ActivityKind.reopened if status == ConversationStatus.open else ActivityKind(status)
        activity.record(session, conversation_id=conversation.id or 0, kind=kind, actor=activity.Actor.agent(actor_id))
    events.emit(session, events.CONVERSATION_UPDATED, conversation_id=conversation.id, status=status)
    return conversation


def hand_to_team(*, session: Session, conversation: Conversation, team_id: int | None,
                 actor_id: int | None) -> bool:
    """Hand the conversation to another team (None: back to its channel's team); False when nothing changed.

    Its agents see it from now on (`hub.conversations.teams`); an assignee keeps it."""
    if team_id is not None and session.get(Team, team_id) is None:
        raise ActionRefused("no such team")
    if conversation.team_id == team_id:
        return False
    session.execute(update(Conversation).where(col(Conversation.id) == conversation.id).values(team_id=team_id))
    session.refresh(conversation)
    activity.record(session, conversation_id=conversation.id or 0, kind=ActivityKind.team_changed, team_id=team_id,
                    actor=activity.Actor.agent(actor_id))
    events.emit(session, events.CONVERSATION_UPDATED, conversation_id=conversation.id, team_id=team_id)
    return True


def clean_tag(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned or len(cleaned) > MAX_TAG_LENGTH or "/" in cleaned:
        raise ActionRefused(f"a tag is 1 to {MAX_TAG_LENGTH} characters without '/'", code="bad_tag")
    return cleaned


def _tag_id(session: Session, name: str) -> int:
    found = session.exec(select(Tag.id).where(Tag.name == name)).first()
    if found is not None:
        return int(found)
    try:
        with session.begin_nested():
            tag = Tag(name=name)
            session.add(tag)
            session.flush()
            assert tag.id is not None
            return tag.id
    except IntegrityError:  # another request created it at the same moment
        existing = session.exec(select(Tag.id).where(Tag.name == name)).one()
        assert existing is not None
        return existing


def tags_of(*, session: Session, conversation_id: int) -> list[str]:
    query = (select(Tag.name).join(ConversationTag, col(ConversationTag.tag_id) == col(Tag.id))
             .where(ConversationTag.conversation_id == conversation_id).order_by(col(Tag.name)))
    return list(session.exec(query))


def add_tag(*, session: Session, conversation: Conversation, name: str, agent_id: int | None = None) -> bool:
    """An agent tags the conversation (creating the tag if new); False when it had the tag already."""
    name = clean_tag(name)
    tag_id = _tag_id(session, name)
    assert conversation.id is not None
    exists = session.exec(select(ConversationTag.tag_id).where(
        ConversationTag.conversation_id == conversation.id, ConversationTag.tag_id == tag_id)).first()
    if exists is not None:
        return False
    try:
        with session.begin_nested():
            session.add(ConversationTag(conversation_id=conversation.id, tag_id=tag_id, source="agent",
                                        agent_id=agent_id))
            session.flush()
    except IntegrityError:
        return False
    activity.record(session, conversation_id=conversation.id, kind=ActivityKind.tagged, tag=name,
                    actor=activity.Actor.agent(agent_id))
    events.emit(session, events.CONVERSATION_UPDATED, conversation_id=conversation.id, tag=name, source="agent")
    return True


def remove_tag(*, session: Session, conversation: Conversation, name: str, agent_id: int | None = None) -> bool:
    """Take a tag off; False when the conversation did not have it."""
    name = clean_tag(name)
    tag_id = session.exec(select(Tag.id).where(Tag.name == name)).first()
    if tag_id is None:
        return False
    removed = session.execute(delete(ConversationTag).where(
        col(ConversationTag.conversation_id) == conversation.id, col(ConversationTag.tag_id) == tag_id))
    if not removed.rowcount:  # type: ignore[attr-defined]
        return False
    activity.record(session, conversation_id=conversation.id or 0, kind=ActivityKind.untagged, tag=name,
                    actor=activity.Actor.agent(agent_id))
    events.emit(session, events.CONVERSATION_UPDATED, conversation_id=conversation.id, untagged=name)
    return True


def add_note(*, session: Session, conversation: Conversation, author_id: int | None, text: str) -> Message:
    """A private note for colleagues: stored as sent, never queued, so no send job ever sees it."""
    if not text.strip():
        raise ActionRefused("a note needs some text", code="empty_note")
    assert conversation.id is not None
    now = utcnow()
    note = Message(conversation_id=conversation.id, channel_id=conversation.channel_id, direction="outbound",
                   kind=NOTE_KIND, text=mask_cards(text), payload={"private": True}, status=MessageStatus.sent.value,
                   author_id=author_id, sent_at=now)
    session.add(note)
    session.flush()
    session.execute(update(Conversation).where(col(Conversation.id) == conversation.id)
                    .values(last_activity_at=now))
    events.emit(session, events.MESSAGE_CREATED, message_id=note.id, conversation_id=conversation.id,
                channel_id=conversation.channel_id, direction="outbound", kind=NOTE_KIND, status=note.status)
    return note


def mark_read(*, session: Session, conversation: Conversation) -> None:
    """The conversation has no unread messages any more."""
    changed = session.execute(update(Conversation).where(
        col(Conversation.id) == conversation.id, col(Conversation.unread_count) != 0).values(unread_count=0))
    session.refresh(conversation)
    if changed.rowcount:  # type: ignore[attr-defined]
        events.emit(session, events.CONVERSATION_UPDATED, conversation_id=conversation.id, unread_count=0)


def retry(*, session: Session, message: Message) -> Message:
    """Put a failed reply back in the queue; the caller enqueues its send job after committing."""
    if message.direction != "outbound" or message.kind == NOTE_KIND:
        raise ActionRefused("only a reply to a customer can be sent again", 409)
    if message.status != MessageStatus.failed.value:
        raise ActionRefused(f"only a failed message can be sent again; this one is {message.status}", 409)
    conversation = session.get(Conversation, message.conversation_id)
    channel = session.get(Channel, message.channel_id)
    assert conversation is not None and channel is not None
    try:
        if "system" not in message.payload:
            outbound.refuse_if_opted_out(session=session, conversation=conversation, channel=channel)
        if message.kind != "template" and outbound.window_closed(conversation, channel):
            raise outbound.ReplyRefused("the customer's reply window has closed: only a template can be sent now",
                                        "window_closed")
    except outbound.ReplyRefused as refused:
        raise ActionRefused(str(refused), code=refused.code) from None
    moved = session.execute(
        update(Message).where(col(Message.id) == message.id, col(Message.status) == MessageStatus.failed.value)
        .values(status=MessageStatus.queued.value, error_code=None, error_reason=None, failed_at=None,
                lease_until=None, attempts=0))
    if not moved.rowcount:  # type: ignore[attr-defined]
        raise ActionRefused("the message changed meanwhile; reload it", 409)
    session.refresh(message)
    events.emit(session, events.MESSAGE_STATUS, message_id=message.id, conversation_id=message.conversation_id,
                status=message.status, error_code=None, error_reason=None, sender=message.sender)
    return message


def resend(*, session: Session, message: Message, author_id: int | None) -> tuple[Message, bool]:
    """Send a reply that may not have been sent (`unknown`) again, as a new message with the same content, on a
    person's request: the provider may have taken the first, so nothing does this by itself. The old one stays
    `unknown` (a late receipt may still settle it) and is offered no more. (new message, created): asking
    twice gives the first resend."""
    if message.direction != "outbound" or message.kind == NOTE_KIND:
        raise ActionRefused("only a message to a customer can be sent again", 409)
    if message.status != MessageStatus.unknown.value:
        raise ActionRefused(f"only a message that may not have been sent can be resent; this one is {message.status}",
                            409)
    conversation = session.get(Conversation, message.conversation_id)
    assert conversation is not None and message.id is not None
    try:
        fresh, created = outbound.queue_reply(
            session=session, conversation=conversation, author_id=author_id, text=message.text, kind=message.kind,
            payload=dict(message.payload), client_key=f"resend:{message.id}", sender=message.sender)
    except outbound.ReplyRefused as refused:
        raise ActionRefused(str(refused), 422, code=refused.code) from None
    if created:
        engine.mark_resent(session, [message.id])
    return fresh, created
