"""The provider-neutral ingest path: contacts, conversations, messages and receipts."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from channels import StatusUpdate
from hub.contacts.models import ChannelIdentity, Contact
from hub.conversations import service as conversations
from hub.conversations.models import Conversation, Message
from hub.ingest.service import receive
from hub.runtime.db import session_scope
from tests.factories import inbound, make_channel


def outbound_message(channel_id: int, provider_id: str, status: str = "sent") -> int:
    with session_scope() as session:
        msg = receive(session=session, channel_id=channel_id, inbound=inbound("seed-" + provider_id))
        assert msg is not None
        out = Message(conversation_id=msg.conversation_id, channel_id=channel_id, direction="outbound",
                      text="ok", status=status, provider_message_id=provider_id)
        session.add(out)
        session.flush()
        assert out.id is not None
        return out.id


def test_the_same_phone_on_sms_and_whatsapp_is_one_contact_with_two_identities(backend):
    sms = make_channel("sms_twilio", "SMS")
    whatsapp = make_channel("whatsapp_meta", "WhatsApp")
    with session_scope() as session:
        receive(session=session, channel_id=sms.id, inbound=inbound("SM1", text="Hi by SMS"))
    with session_scope() as session:
        receive(session=session, channel_id=whatsapp.id, inbound=inbound("wamid.1", text="Hi on WhatsApp"))
    with session_scope() as session:
        contacts = session.exec(select(Contact)).all()
        assert len(contacts) == 1
        identities = session.exec(select(ChannelIdentity).order_by(ChannelIdentity.id)).all()
        assert [(i.kind, i.value, i.contact_id) for i in identities] == [
            ("sms", "+85291234567", contacts[0].id), ("whatsapp", "+85291234567", contacts[0].id)]
        assert contacts[0].name == "陳大文"
        assert len(session.exec(select(Conversation)).all()) == 2  # one thread per channel


def test_the_same_event_delivered_twice_at_once_is_one_message(backend):
    channel = make_channel("whatsapp_meta")
    barrier = threading.Barrier(4)
    results: list[object] = []

    def deliver() -> None:
        barrier.wait()
        with session_scope() as session:
            message = receive(session=session, channel_id=channel.id, inbound=inbound("wamid.SAME"))
            results.append(message.id if message else None)

    threads = [threading.Thread(target=deliver) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    with session_scope() as session:
        assert len(session.exec(select(Message)).all()) == 1
        assert len(session.exec(select(Contact)).all()) == 1
        conversation = session.exec(select(Conversation)).one()
        assert conversation.unread_count == 1
    assert sum(1 for r in results if r is not None) == 1


def test_a_resolved_conversation_reopens_on_the_next_message(backend):
    channel = make_channel("telegram")
    with session_scope() as session:
        first = receive(session=session, channel_id=channel.id, inbound=inbound("1"))
        assert first is not None
        conversation = session.get(Conversation, first.conversation_id)
        conversation.status = "resolved"
        conversation.resolved_at = datetime.now(UTC)
        session.add(conversation)
    with session_scope() as session:
        second = receive(session=session, channel_id=channel.id, inbound=inbound("2", text="還有一個問題"))
        assert second is not None and second.conversation_id == first.conversation_id
        conversation = session.get(Conversation, first.conversation_id)
        assert conversation.status == "open" and conversation.resolved_at is None
        assert conversation.unread_count == 2


def receipt(provider_id: str, status: str, minutes: int = 0, code: str | None = None) -> StatusUpdate:
    return StatusUpdate(provider_message_id=provider_id, status=status,  # type: ignore[arg-type]
                        at=datetime.now(UTC) + timedelta(minutes=minutes), error_code=code,
                        error_reason="boom" if code else None)


def status_of(message_id: int) -> Message:
    with session_scope() as session:
        message = session.get(Message, message_id)
        assert message is not None
        return message


def test_read_then_a_late_delivered_stays_read(backend):
    channel = make_channel("whatsapp_meta")
    message_id = outbound_message(channel.id, "wamid.OUT")
    with session_scope() as session:
        read = receipt("wamid.OUT", "read", 2)
        assert conversations.apply_receipts(session=session, receipts=[(channel.id, read)])
    with session_scope() as session:
        assert not conversations.apply_receipts(session=session,
                                                receipts=[(channel.id, receipt("wamid.OUT", "delivered", 1))])
    message = status_of(message_id)
    assert message.status == "read"
    assert message.read_at is not None and message.delivered_at is not None


def test_failed_is_final(backend):
    channel = make_channel("whatsapp_meta")
    message_id = outbound_message(channel.id, "wamid.F")
    with session_scope() as session:
        conversations.apply_receipts(session=session, receipts=[(channel.id, receipt("wamid.F", "failed",
                                                                                            code="131047"))])
    with session_scope() as session:
        conversations.apply_receipts(session=session, receipts=[(channel.id, receipt("wamid.F", "read", 1))])
    message = status_of(message_id)
    assert (message.status, message.error_code, message.read_at) == ("failed", "131047", None)


def test_a_receipt_before_its_message_is_kept_and_applied_when_the_message_is_sent(backend):
    from channels import SendResult
    from hub import outbound
    from hub.conversations.models import PendingReceipt

    channel = make_channel("whatsapp_meta")
    message_id = outbound_message(channel.id, "placeholder", status="sending")
    with session_scope() as session:
        assert not conversations.apply_receipts(session=session,
                                                receipts=[(channel.id, receipt("wamid.EARLY", "delivered"))])
    with session_scope() as session:
        outbound.record(session, [outbound.Outcome(message_id, SendResult(ok=True, provider_message_id="wamid.EARLY"))])
    message = status_of(message_id)
    assert message.status == "delivered"
    with session_scope() as session:
        assert session.exec(select(PendingReceipt)).all() == []


def test_two_workers_storing_overlapping_batches_at_once_make_one_contact_per_phone(backend):
    from hub.conversations import store

    sms = make_channel("sms_twilio")
    whatsapp = make_channel("whatsapp_meta")
    phones = [f"+8529000{n:04d}" for n in range(40)]

    def arrivals(channel_id: int, phone_identity: str, tag: str) -> list[store.Arrival]:
        return [store.Arrival(channel_id, phone_identity, inbound(f"{tag}-{n}", phone, f"訊息 {n}"))
                for n, phone in enumerate(phones)]

    work = [arrivals(sms.id, "sms", "SM"), arrivals(whatsapp.id, "whatsapp", "wamid")]
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def write(items: list[store.Arrival]) -> None:
        try:
            barrier.wait()
            with session_scope() as session:
                store.store_inbound(session, items)
        except BaseException as error:  # noqa: BLE001
            errors.append(error)

    threads = [threading.Thread(target=write, args=(items,)) for items in work]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with session_scope() as session:
        assert len(session.exec(select(Message)).all()) == 80
        identities = session.exec(select(ChannelIdentity)).all()
        assert len(identities) == 80
        by_phone: dict[str, set[int]] = {}
        for identity in identities:
            by_phone.setdefault(identity.phone or "", set()).add(identity.contact_id)
        assert all(len(owners) == 1 for owners in by_phone.values())
        assert len(session.exec(select(Contact)).all()) == 40
