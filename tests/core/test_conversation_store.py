"""The conversation store: one set-based path for one item or many (`hub/conversations/store.py`).

The single-item calls (`contacts.resolve`, `conversations.open_for`, `ingest.receive`) are lists of one:
their rules are tested here, on lists, and once through the single call to show it is the same path.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlmodel import Session, col, select

from channels import IdentityRef, InboundMessage
from hub.contacts import service as contacts
from hub.contacts.identities import StoredIdentity
from hub.contacts.models import ChannelIdentity, Contact
from hub.conversations import service as conversations
from hub.conversations import store
from hub.conversations.models import Conversation, Message
from hub.runtime import events
from hub.runtime.db import session_scope
from tests.factories import inbound, make_channel

HK = "+85291234567"


def person(session: Session, phone: str) -> int:
    """A contact who writes by SMS from this phone (`contacts.resolve`: the store with a list of one)."""
    return contacts.resolve(session=session, identities=[StoredIdentity("sms", phone, phone)]).id or 0


def opened_events() -> list[int]:
    got: list[int] = []
    events.subscribe(events.CONVERSATION_OPENED, lambda event: got.append(event.data["conversation_id"]))
    return got


def test_senders_sharing_a_phone_in_one_list_become_one_contact_with_each_identity(backend):
    with session_scope() as session:
        ids = store.contacts_for(session, [
            store.Sender((StoredIdentity("sms", HK, HK),), profile_name="陳大文"),
            store.Sender((StoredIdentity("telegram", "700"),), profile_name="花子", locale="ja"),
            store.Sender((StoredIdentity("whatsapp", HK, HK),)),
        ])
    assert ids[0] == ids[2] != ids[1]
    with session_scope() as session:
        owners = {(i.kind, i.value): i.contact_id for i in session.exec(select(ChannelIdentity))}
        hanako = session.get(Contact, ids[1])
        assert hanako is not None and (hanako.name, hanako.locale) == ("花子", "ja")
    assert owners == {("sms", HK): ids[0], ("whatsapp", HK): ids[0], ("telegram", "700"): ids[1]}


def test_a_known_phone_joins_its_new_identity_refreshes_the_name_and_fills_only_an_empty_locale(backend):
    with session_scope() as session:
        kim = contacts.resolve(session=session, identities=[StoredIdentity("sms", HK, HK)], profile_name="Kim")
        kim_id = kim.id
        kim.locale = None
        session.add(kim)
    with session_scope() as session:
        [again] = store.contacts_for(session, [store.Sender(
            (StoredIdentity("whatsapp", HK, HK), StoredIdentity("whatsapp_user", "wa-1")),
            profile_name="Kim Lee", locale="en")])
        assert again == kim_id
    with session_scope() as session:
        same = contacts.resolve(session=session, identities=[StoredIdentity("whatsapp_user", "wa-1")],
                                locale="ja")  # a locale never replaces one the contact has
        assert (same.id, same.name, same.locale) == (kim_id, "Kim Lee", "en")
        kinds = sorted(i.kind for i in session.exec(select(ChannelIdentity)
                                                    .where(ChannelIdentity.contact_id == kim_id)))
    assert kinds == ["sms", "whatsapp", "whatsapp_user"]


def test_conversations_open_once_reopen_when_closed_and_say_which(backend):
    channel = make_channel("sms_twilio")
    with session_scope() as session:
        a, b = person(session, HK), person(session, "+85291110000")
    opened = opened_events()
    with session_scope() as session:
        first = store.conversations_for(session, [(a, channel.id), (b, channel.id)])
    assert all(thread.opened for thread in first.values()) and sorted(opened) == sorted(t.id for t in first.values())
    with session_scope() as session:
        resolved = session.get(Conversation, first[(a, channel.id)].id)
        assert resolved is not None
        resolved.status, resolved.resolved_at = "resolved", datetime.now(UTC)
        session.add(resolved)
    opened.clear()
    with session_scope() as session:
        second = store.conversations_for(session, [(a, channel.id), (b, channel.id)])
    assert {pair: (t.id, t.opened) for pair, t in second.items()} == {
        (a, channel.id): (first[(a, channel.id)].id, True), (b, channel.id): (first[(b, channel.id)].id, False)}
    assert opened == [first[(a, channel.id)].id]
    with session_scope() as session:
        reopened = session.get(Conversation, first[(a, channel.id)].id)
        assert reopened is not None and (reopened.status, reopened.resolved_at) == ("open", None)
        conversation, was_opened = conversations.open_for(session=session, contact_id=a, channel_id=channel.id)
        assert (conversation.id, was_opened) == (first[(a, channel.id)].id, False)


def test_a_broadcast_opens_no_work_for_agents_and_reopens_nothing(backend):
    channel = make_channel("sms_twilio")
    with session_scope() as session:
        new, old = person(session, HK), person(session, "+85291110000")
        closed = Conversation(contact_id=old, channel_id=channel.id, status="resolved", resolved_at=datetime.now(UTC))
        session.add(closed)
        session.flush()
        closed_id = closed.id
    opened = opened_events()
    with session_scope() as session:
        threads = store.conversations_for(session, [(new, channel.id), (old, channel.id)], quiet=True)
        statuses = {c.id: c.status for c in session.exec(select(Conversation))}
    assert opened == [] and not any(thread.opened for thread in threads.values())
    assert threads[(old, channel.id)].id == closed_id
    assert statuses == {threads[(new, channel.id)].id: "resolved", closed_id: "resolved"}


def test_messages_are_stored_once_per_provider_id_in_the_providers_order(backend):
    channel = make_channel("whatsapp_meta")
    now = datetime.now(UTC)

    def arrival(provider_id: str, text: str, sent_at: datetime) -> store.Arrival:
        return store.Arrival(channel.id, "whatsapp", InboundMessage(
            provider_message_id=provider_id, identities=(IdentityRef("phone", HK),), kind="text", text=text,
            sent_at=sent_at, profile_name="陳大文"))

    with session_scope() as session:
        new = store.store_inbound(session, [
            arrival("wamid.2", "第二", now - timedelta(minutes=1)),
            arrival("wamid.1", "第一", now - timedelta(minutes=5)),
            arrival("wamid.2", "第二", now - timedelta(minutes=1)),  # the provider sent it twice
            arrival("wamid.3", "時鐘快了", now + timedelta(hours=1)),  # a skewed clock is never filed ahead
        ])
    assert [item.arrival.inbound.provider_message_id for item in new] == ["wamid.2", "wamid.1", "wamid.3"]
    with session_scope() as session:
        assert store.store_inbound(session, [arrival("wamid.1", "第一", now)]) == []
    with session_scope() as session:
        thread = session.exec(select(Message).order_by(col(Message.occurred_at), col(Message.id))).all()
        conversation = session.get(Conversation, new[0].conversation_id)
    assert [m.text for m in thread] == ["第一", "第二", "時鐘快了"]
    assert conversation is not None and conversation.unread_count == 3


def test_one_message_through_receive_takes_the_same_path(backend):
    channel = make_channel("sms_twilio")
    with session_scope() as session:
        conversation, _ = conversations.open_for(
            session=session, channel_id=channel.id,
            contact_id=contacts.resolve(session=session, identities=[StoredIdentity("sms", HK, HK)]).id or 0)
        conversation.status = "snoozed"
        session.add(conversation)
    from hub.ingest.service import receive

    with session_scope() as session:
        message = receive(session=session, channel_id=channel.id, inbound=inbound("SM1"))
        assert receive(session=session, channel_id=channel.id, inbound=inbound("SM1")) is None
        assert message is not None and message.conversation_id == conversation.id
        again = session.get(Conversation, conversation.id)
        assert again is not None and again.status == "open"
