"""Replies: what may be sent to a customer now, queued through the delivery engine (`hub.outbound`) and
sent by the `send_message` job, once."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from channels import Button, IdentityRef, OutboundMessage
from hub.channel_records.models import Channel
from hub.channel_records.service import adapter_of
from hub.contacts import locales
from hub.contacts.models import ChannelIdentity, Contact
from hub.contacts.service import consent_status
from hub.conversations import automation
from hub.conversations.models import Conversation, Message
from hub.conversations.service import reference_of
from hub.outbound import engine
from hub.outbound.engine import Sender
from hub.privacy.cards import mask_cards
from hub.runtime import events
from hub.runtime.db import as_utc, utcnow

SEND_LEASE = timedelta(seconds=120)


ERROR_HEADER = "X-Hub-Error"
"""A refusal's stable code rides in this response header, so a UI can show it in the agent's language."""


class ReplyRefused(ValueError):
    """Hub will not send this reply; the message says why and what to do instead, `code` names the reason
    (`opted_out`, `window_closed`) for a UI to translate."""

    def __init__(self, message: str, code: str = "refused") -> None:
        super().__init__(message)
        self.code = code

    @property
    def headers(self) -> dict[str, str]:
        return {ERROR_HEADER: self.code}


def window_closed(conversation: Conversation, channel: Channel) -> bool:
    """True when the channel only allows templates now (WhatsApp's 24-hour rule)."""
    hours = adapter_of(channel.kind).reply_window_hours
    if hours is None:
        return False
    if conversation.last_inbound_at is None:
        return True
    return utcnow() - as_utc(conversation.last_inbound_at) > timedelta(hours=hours)


def refuse_if_opted_out(*, session: Session, conversation: Conversation, channel: Channel) -> None:
    """On channels where STOP means stop everything (SMS), nothing goes to an opted-out contact."""
    if not adapter_of(channel.kind).optout_blocks_all:
        return
    assert channel.id is not None
    if consent_status(session=session, contact_id=conversation.contact_id, channel_id=channel.id) == "opted_out":
        raise ReplyRefused("the customer replied STOP on this channel; nothing more may be sent until they reply START",
                           "opted_out")


LIST_BUTTON = {"en": "Choose", "zh-Hant": "選擇", "ja": "選択する"}
REPLY_BUTTONS = 3
"""A menu of more than REPLY_BUTTONS choices is too long for a row of reply buttons: WhatsApp shows it as a list
behind one button, named in the customer's language unless the sender named it."""


def list_button(locale: str | None) -> str:
    """The name of the button that opens a long menu, in `locale` (English for one Hub does not speak)."""
    return LIST_BUTTON.get(locale or "", LIST_BUTTON["en"])


def _with_list_button(session: Session, conversation: Conversation, payload: dict[str, Any]) -> dict[str, Any]:
    if len(payload.get("buttons") or ()) <= REPLY_BUTTONS or payload.get("list_button"):
        return payload
    contact = session.get(Contact, conversation.contact_id)
    return {**payload, "list_button": list_button(locales.for_contact(session, contact, conversation.channel_id))}


def queue_reply(
    *,
    session: Session,
    conversation: Conversation,
    author_id: int | None,
    text: str | None = None,
    kind: str = "text",
    payload: dict[str, Any] | None = None,
    client_key: str | None = None,
    sender: str | None = None,
) -> tuple[Message, bool]:
    """Store an outbound message as `queued`. (message, created): a repeated client key returns the first.
    `sender`: a `hub.outbound.Sender` (default: `reply`, or `system` for a system notice)."""
    if client_key:
        existing = session.exec(select(Message).where(
            Message.conversation_id == conversation.id, Message.client_key == client_key)).first()
        if existing is not None:
            return existing, False
    channel = session.get(Channel, conversation.channel_id)
    assert channel is not None
    system = "system" in (payload or {})
    if not system:
        refuse_if_opted_out(session=session, conversation=conversation, channel=channel)
    if kind != "template" and window_closed(conversation, channel):
        hours = adapter_of(channel.kind).reply_window_hours
        raise ReplyRefused(
            f"the customer's last message was more than {hours} hours ago; "
            "this channel only accepts an approved template now: send a template message instead", "window_closed"
        )
    assert conversation.id is not None
    sender = sender or (Sender.system.value if system else Sender.reply.value)
    if kind in ("buttons", "list"):
        payload = _with_list_button(session, conversation, payload or {})
    [(message_id, created)] = engine.enqueue(session, [engine.Draft(
        conversation_id=conversation.id, channel_id=conversation.channel_id, kind=kind,
        text=None if text is None else mask_cards(text),  # as stored: what is sent is what the row says
        payload=payload or {}, sender=sender, client_key=client_key, author_id=author_id)])
    message = session.get(Message, message_id)
    assert message is not None
    if not created:  # the same client key: the first message
        return message, False
    now = utcnow()
    values: dict[str, Any] = {"last_activity_at": now, "unread_count": 0}
    if author_id is not None and conversation.first_response_at is None:
        values["first_response_at"] = now
    session.execute(update(Conversation).where(col(Conversation.id) == conversation.id).values(**values))
    if author_id is not None and sender == Sender.reply.value:  # a person answers: no bot from now on
        automation.person_takes(session=session, conversation_id=conversation.id, agent_id=author_id,
                                reason="an agent replied")
    events.emit(session, events.MESSAGE_CREATED, message_id=message.id, conversation_id=conversation.id,
                channel_id=conversation.channel_id, direction="outbound", status=message.status)
    return message, True


def build_outbound(*, session: Session, message: Message) -> OutboundMessage:
    """The provider-neutral message for a stored reply, addressed to the right identity."""
    conversation = session.get(Conversation, message.conversation_id)
    channel = session.get(Channel, message.channel_id)
    assert conversation is not None and channel is not None
    adapter = adapter_of(channel.kind)
    identities = list(session.exec(select(ChannelIdentity).where(
        ChannelIdentity.contact_id == conversation.contact_id)))
    for kind in adapter.identity_kinds:
        if kind == "phone":  # prefer the number the customer wrote from on this kind of channel
            phones = [i for i in identities if i.kind == adapter.phone_identity and i.phone]
            phones += [i for i in identities if i.phone and i not in phones]
            if phones:
                return as_outbound(message, IdentityRef(kind="phone", value=phones[0].phone or ""))
            continue
        for identity in identities:
            if identity.kind == kind:
                return as_outbound(message, IdentityRef(kind=kind, value=identity.value))  # type: ignore[arg-type]
    raise ReplyRefused(f"the contact has no address this {channel.kind} channel can send to")


def as_outbound(message: Message, to: IdentityRef) -> OutboundMessage:
    payload = dict(message.payload)
    buttons = tuple(Button(**button) for button in payload.pop("buttons", []))
    kind = message.kind if message.kind in ("media", "buttons", "list", "template", "product",
                                            "product_list", "invoice") else "text"
    return OutboundMessage(
        to=to, kind=kind, text=message.text, buttons=buttons,  # type: ignore[arg-type]
        media_url=payload.pop("media_url", None), media_type=payload.pop("media_type", None),
        header=payload.pop("header", None), footer=payload.pop("footer", None),
        list_button=payload.pop("list_button", None), template_name=payload.pop("template_name", None),
        template_language=payload.pop("template_language", None),
        template_params=tuple(payload.pop("template_params", ())), payload=payload,
        reference=reference_of(message.id) if message.id is not None else None,
    )
