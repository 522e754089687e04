"""Typing indicators: an agent typing in the inbox shows "… is typing" in the visitor's widget."""

from __future__ import annotations

import logging

import redis
from sqlmodel import Session, select

from hub.channel_records.models import Channel
from hub.contacts.models import ChannelIdentity
from hub.conversations.models import Conversation
from hub.webchat import fanout

log = logging.getLogger(__name__)


def agent_typing(*, session: Session, conversation: Conversation, name: str) -> int:
    """Tell the conversation's web chat sessions that `name` is typing; how many were told (0 off web chat)."""
    channel = session.get(Channel, conversation.channel_id)
    if channel is None or channel.kind != "webchat" or channel.id is None:
        return 0
    identities = session.exec(select(ChannelIdentity.value).where(
        ChannelIdentity.contact_id == conversation.contact_id, ChannelIdentity.kind == "webchat")).all()
    prefix = f"{channel.id}:"
    told = 0
    for identity in identities:
        if not identity.startswith(prefix):
            continue
        try:
            fanout.publish_now(channel.id, identity, {"type": "typing", "author": name or None})
            told += 1
        except redis.RedisError:  # an indicator is not worth an error: the reply itself still goes
            log.warning("could not publish a web chat typing indicator")
            return told
    return told
