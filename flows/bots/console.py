"""The bot console: a marketer or admin chats with the bot that serves a channel, seeing its answers as that
channel renders them (buttons, a numbered menu on SMS...).

The person plays a customer whose only address is a console handle (`webchat` kind, `console-{user}-{channel}`):
what they type is stored as an inbound message on the chosen channel (`hub.ingest.service.receive`), so the bot
runs exactly as for a customer; its answers are queued as usual and never reach a provider on any channel but
web chat (no address of the channel's kind: the send job fails them, `no_address`), and on web chat nobody is
connected to the console's handle. The console conversation is put in bot mode each time, and shows in the
inbox as "Bot console".
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session

from channels import IdentityRef, InboundMessage
from channels.preview import address_for, seen
from hub.channel_records.service import as_config, list_all
from hub.contacts import service as contacts
from hub.conversations import activity, automation, queries
from hub.conversations import outbound as replies
from hub.conversations import service as conversations
from hub.ingest.service import receive
from hub.runtime.db import utcnow

NAME = "Bot console"


class ConsoleRefused(ValueError):
    pass


def handle(user_id: int, channel_id: int) -> str:
    return f"console-{user_id}-{channel_id}"


def _channel(session: Session, channel_id: int) -> Any:
    found = next((c for c in list_all(session=session) if c.id == channel_id and c.is_active), None)
    if found is None:
        raise ConsoleRefused("no such active channel")
    return found


def say(*, session: Session, user_id: int, user_name: str, channel_id: int, text: str | None,
        button: str | None) -> int:
    """Store what the person typed (or tapped) as the console customer's message; the conversation's id."""
    _channel(session, channel_id)
    if not (text or "").strip() and not button:
        raise ConsoleRefused("type something or tap a button")
    message = receive(session=session, channel_id=channel_id, inbound=InboundMessage(
        provider_message_id=f"console:{uuid.uuid4().hex}",
        identities=(IdentityRef("webchat", handle(user_id, channel_id)),),
        kind="button_reply" if button else "text", text=(text or button or "")[:4096],
        payload={"button_id": button} if button else {}, sent_at=utcnow(), profile_name=f"{NAME} · {user_name}"[:100]))
    if message is None:
        raise ConsoleRefused("the message was not stored")
    automation.set_mode(session=session, conversation_id=message.conversation_id, mode="bot",
                        actor=activity.Actor.agent(user_id), reason="bot console")
    return message.conversation_id


def transcript(*, session: Session, user_id: int, conversation_id: int) -> list[dict[str, Any]]:
    """This person's console conversation, the bot's side as the channel renders it."""
    conversation = conversations.get(session=session, conversation_id=conversation_id)
    mine = handle(user_id, conversation.channel_id) if conversation else None
    if conversation is None or not any(i.kind == "webchat" and i.value == mine for i in contacts.identities_of(
            session=session, contact_id=conversation.contact_id)):
        raise ConsoleRefused("no such console conversation")
    channel = _channel(session, conversation.channel_id)
    config = as_config(channel)
    out: list[dict[str, Any]] = []
    for message in queries.thread(session=session, conversation=conversation, limit=100):
        if message.kind == "note":
            continue
        if message.direction == "inbound":
            out.append({"id": message.id, "direction": "in", "text": message.text})
            continue
        shown = seen(channel.kind, replies.as_outbound(message, address_for(channel.kind)), config)
        out.append({"id": message.id, "direction": "out", "text": shown.get("text"),
                    "buttons": [b.get("title") for b in shown.get("buttons") or []],
                    "native": bool(shown.get("native")), "payload_ids": [
                        b.get("id") for b in (message.payload or {}).get("buttons") or []]})
    return out
