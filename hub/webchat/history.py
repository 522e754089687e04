"""What a widget shows and confirms: a session's thread as frames, and its delivery receipts."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, and_, col, or_, select

from channels import IdentityRef, StatusUpdate
from channels.webchat import RenderError, card
from hub.agents.models import User
from hub.contacts.models import ChannelIdentity
from hub.conversations import service as conversations
from hub.conversations.models import Conversation, Message, MessageStatus
from hub.conversations.outbound import as_outbound
from hub.runtime.db import as_utc, utcnow

CATCH_UP_LIMIT = 100
SHOWN = (MessageStatus.sent.value, MessageStatus.delivered.value, MessageStatus.read.value)
"""Replies the widget may show: queued or failed ones have not gone out (yet)."""
HIDDEN_KINDS = ("note",)

Frame = dict[str, Any]


def conversation_id(*, session: Session, channel_id: int, identity: str) -> int | None:
    """The conversation of a web chat session, or None before its first message was stored."""
    query = (select(Conversation.id)
             .join(ChannelIdentity, col(ChannelIdentity.contact_id) == col(Conversation.contact_id))
             .where(ChannelIdentity.kind == "webchat", ChannelIdentity.value == identity,
                    Conversation.channel_id == channel_id))
    return session.exec(query).first()


def author_names(session: Session, messages: list[Message]) -> dict[int, str]:
    """The display names of the agents who wrote these replies."""
    ids = {row.author_id for row in messages if row.author_id}
    if not ids:
        return {}
    return {int(uid or 0): name for uid, name in session.exec(select(User.id, User.name).where(col(User.id).in_(ids)))
            if name}


def message_frame(message: Message, identity: str, author: str | None = None) -> Frame | None:
    """A stored message as the widget shows it; None for what the visitor must not see."""
    if message.kind in HIDDEN_KINDS or message.payload.get("private"):
        return None
    frame: Frame = {"type": "message", "id": message.id, "direction": message.direction,
                    "created_at": as_utc(message.created_at).isoformat()}
    if message.direction == "inbound":
        frame.update(kind=message.kind, text=message.text, client_id=message.provider_message_id)
        return frame
    try:
        frame["card"] = card(as_outbound(message, IdentityRef("webchat", identity)))
    except (RenderError, TypeError):
        return None
    frame["status"] = message.status
    frame["author"] = author  # the agent's display name; None for automatic replies
    return frame


def catch_up(*, session: Session, channel_id: int, identity: str, after: int | None) -> list[Frame]:
    """The session's messages after `after` (the newest CATCH_UP_LIMIT when None), oldest first.

    Replies still at `sent` are included whatever `after` says: the widget acknowledges every reply
    it shows, so those never reached it (they went out while it was offline).
    """
    conversation = conversation_id(session=session, channel_id=channel_id, identity=identity)
    if conversation is None:
        return []
    query = select(Message).where(
        Message.conversation_id == conversation,
        or_(col(Message.direction) == "inbound", col(Message.status).in_(SHOWN)),
    )
    if after is not None:
        query = query.where(or_(col(Message.id) > after, and_(col(Message.direction) == "outbound",
                                                              col(Message.status) == MessageStatus.sent.value)))
    rows = session.exec(query.order_by(col(Message.id).desc()).limit(CATCH_UP_LIMIT)).all()
    names = author_names(session, list(rows))
    return [frame for row in reversed(rows)
            if (frame := message_frame(row, identity, names.get(row.author_id or 0))) is not None]


def find_sent(*, session: Session, channel_id: int, provider_message_id: str) -> tuple[int, str, str | None] | None:
    """(id, created_at, the agent's name) of the reply the adapter sent as `provider_message_id`, once its
    send is recorded."""
    row = session.exec(select(Message.id, Message.created_at, Message.author_id).where(
        Message.channel_id == channel_id, Message.provider_message_id == provider_message_id)).first()
    if row is None or row[0] is None:
        return None
    author = session.get(User, row[2]) if row[2] else None
    return row[0], as_utc(row[1]).isoformat(), (author.name or None) if author else None


def apply_receipt(*, session: Session, channel_id: int, identity: str, message_id: int, status: str) -> bool:
    """Mark a reply of this session's conversation delivered or read; False for any other message."""
    provider_id = session.exec(
        select(Message.provider_message_id)
        .join(Conversation, col(Conversation.id) == col(Message.conversation_id))
        .join(ChannelIdentity, col(ChannelIdentity.contact_id) == col(Conversation.contact_id))
        .where(Message.id == message_id, Message.direction == "outbound", Message.channel_id == channel_id,
               Conversation.channel_id == channel_id, ChannelIdentity.kind == "webchat",
               ChannelIdentity.value == identity)
    ).first()
    if not provider_id:
        return False
    receipt = StatusUpdate(provider_message_id=provider_id, status=status, at=utcnow())  # type: ignore[arg-type]
    return bool(conversations.apply_receipts(session=session, receipts=[(channel_id, receipt)]))
