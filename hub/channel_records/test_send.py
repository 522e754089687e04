"""A test message from the channel screen: to an address the admin types, through the normal send path
(a contact and conversation for that address, a queued reply, the send job), so it proves the whole way out."""

from __future__ import annotations

from sqlmodel import Session

from channels.identities import phone_identity
from hub.channel_records.models import Channel
from hub.channel_records.service import adapter_of
from hub.contacts import service as contacts
from hub.contacts.identities import StoredIdentity, stored
from hub.conversations.models import Message
from hub.conversations.outbound import queue_reply
from hub.conversations.service import open_for

DEFAULT_TEXT = "Test message from Hub"


class TestRefused(ValueError):
    """The address does not fit the channel, or the channel refuses the message; the text says why."""

    __test__ = False  # not a pytest class


def send_test(*, session: Session, channel: Channel, to: str, text: str, actor_id: int | None) -> Message:
    assert channel.id is not None
    adapter = adapter_of(channel.kind)
    to = to.strip()
    if "phone" in adapter.identity_kinds:
        ref = phone_identity(to)
        if ref is None:
            raise TestRefused("type a phone number with its country code, like +85291234567")
        identities = stored([ref], adapter.phone_identity)
    elif "telegram" in adapter.identity_kinds:
        if not to.lstrip("-").isdigit() or len(to) > 20:
            raise TestRefused("a Telegram chat id is a number: the id of a user who has written to the bot")
        identities = [StoredIdentity(kind="telegram", value=to)]
    else:
        raise TestRefused("a web chat widget has no address to send to: open the widget on your site instead")
    contact = contacts.resolve(session=session, identities=identities)
    assert contact.id is not None
    conversation, _ = open_for(session=session, contact_id=contact.id, channel_id=channel.id)
    try:
        message, _ = queue_reply(session=session, conversation=conversation, author_id=actor_id,
                                 text=text.strip() or DEFAULT_TEXT)
    except ValueError as refused:
        raise TestRefused(str(refused)) from None
    return message
