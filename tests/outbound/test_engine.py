"""The delivery engine's records, set-based: what each answer leaves a message in, and a late answer or a
receipt by the provider's id settling a message the sweeper gave up on."""

from __future__ import annotations

from datetime import timedelta

from channels import SendResult, StatusUpdate
from hub import outbound
from hub.conversations import service as conversations
from hub.conversations.models import Conversation, Message
from hub.jobs import tasks
from hub.runtime.db import session_scope, utcnow
from tests.factories import make_channel


def queued(kind: str, n: int) -> tuple[int, list[int]]:
    channel = make_channel(kind, config={"from_number": "+15005550006"} if kind == "sms_twilio" else None)
    assert channel.id is not None
    with session_scope() as session:
        from hub.contacts.models import Contact

        contact = Contact(name="陳大文")
        session.add(contact)
        session.flush()
        conversation = Conversation(contact_id=contact.id or 0, channel_id=channel.id)
        session.add(conversation)
        session.flush()
        stored = outbound.enqueue(session, [outbound.Draft(conversation.id or 0, channel.id, text=f"#{i}")
                                            for i in range(n)])
        assert outbound.claim(session, [mid for mid, _ in stored], timedelta(seconds=60)) == {m for m, _ in stored}
    return channel.id, [mid for mid, _ in stored]


def test_each_answer_leaves_its_message_in_one_status_in_one_call(backend):
    _, ids = queued("telegram", 4)
    answers = [SendResult(ok=True, provider_message_id="tg-1"),
               SendResult(ok=False, error_code="timeout", error_reason="Telegram did not answer in time"),
               SendResult(ok=False, error_code="429", error_reason="flood", retry_after=5),
               SendResult(ok=False, error_code="403", error_reason="the customer blocked the bot", permanent=True)]
    with session_scope() as session:
        judged = outbound.record(session, [outbound.Outcome(mid, answer) for mid, answer in zip(ids, answers)])
    assert [judged[mid].status for mid in ids] == ["sent", "unknown", "queued", "failed"]
    with session_scope() as session:
        rows = [session.get(Message, mid) for mid in ids]
        assert [(m.status, m.provider_message_id) for m in rows] == [
            ("sent", "tg-1"), ("unknown", None), ("queued", None), ("failed", None)]
        assert rows[2].lease_until is not None and rows[2].lease_until > utcnow()  # held for its backoff
    assert tasks.send_message(ids[1]) == "skipped"  # `unknown` is never sent again by itself


def test_a_late_answer_and_then_a_twilio_status_callback_settle_a_message_the_sweeper_gave_up_on(backend):
    channel_id, [message_id] = queued("sms_twilio", 1)
    with session_scope() as session:  # the worker is slow: its lease runs out while Twilio answers
        session.get(Message, message_id).lease_until = utcnow() - timedelta(seconds=1)
    assert tasks.sweep()["interrupted"] == 1
    with session_scope() as session:
        assert session.get(Message, message_id).status == "unknown"
        outbound.record(session, [outbound.Outcome(message_id, SendResult(ok=True, provider_message_id="SM1"))])
    with session_scope() as session:
        conversations.apply_receipts(session=session, receipts=[
            (channel_id, StatusUpdate(provider_message_id="SM1", status="delivered", at=utcnow()))])
    with session_scope() as session:
        message = session.get(Message, message_id)
        assert (message.status, message.provider_message_id) == ("delivered", "SM1")
