"""Typing indicators on web chat, both ways; never stored as messages.

An agent typing in the inbox shows "… is typing" in the visitor's widget; a visitor typing in the
widget shows "typing…" to the agents who may see the conversation (the live inbox's access rules).
"""

from __future__ import annotations

import logging

import redis
import redis.asyncio as aioredis
from sqlmodel import Session, select

from hub.channel_records.models import Channel
from hub.contacts.models import ChannelIdentity
from hub.conversations.models import Conversation
from hub.runtime import broker, events
from hub.webchat import fanout

log = logging.getLogger(__name__)

VISITOR_TYPING = "visitor.typing"
"""The live inbox event: `{"conversation_id": n}`; the inbox shows it for a few seconds."""
VISITOR_EVERY_SECONDS = 3
"""At most one visitor typing event per web chat session in this many seconds, however many tabs type."""


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


async def visitor_may_tell(client: aioredis.Redis, *, channel_id: int, identity: str) -> bool:
    """True at most once every VISITOR_EVERY_SECONDS per session (shared by every API process)."""
    key = broker.key("webchat", "typing", channel_id, identity)
    try:
        return bool(await client.set(key, 1, nx=True, ex=VISITOR_EVERY_SECONDS))
    except redis.RedisError:
        return False  # no Redis, no live inbox either


async def visitor_typing(client: aioredis.Redis, *, conversation_id: int) -> None:
    """Tell the agents watching the conversation that its visitor is typing (the live inbox checks who may see it)."""
    try:
        await client.publish(broker.events_channel(), events.Event(VISITOR_TYPING,
                                                                   {"conversation_id": conversation_id}).to_json())
    except redis.RedisError:
        log.warning("could not publish a visitor typing indicator")
