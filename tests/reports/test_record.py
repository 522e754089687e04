"""Facts are written as they happen: a customer's message, an agent's reply, a receipt, a resolve and a paid
then refunded order each leave their fact and their day's rollup, once, with no backfill."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import update
from sqlmodel import select

from catalog.models import Order
from catalog.orders import ORDER_CHANGED
from channels import StatusUpdate
from hub import composition
from hub import outbound as engine
from hub.conversations import actions, outbound, store
from hub.conversations import service as conversations
from hub.conversations.models import Conversation, Message
from hub.runtime import events
from hub.runtime.db import session_scope, utcnow
from reports import kinds, record
from reports.models import DailyRollup, ReportEvent
from reports.settings import get_report_settings
from tests.factories import inbound, make_channel, make_user


def _facts() -> dict[str, int]:
    with session_scope() as session:
        found: dict[str, int] = {}
        for fact in session.execute(select(ReportEvent)).scalars():
            found[fact.kind] = found.get(fact.kind, 0) + 1
        return found


def _rolled(kind: str) -> int:
    with session_scope() as session:
        return sum(r.count for r in session.execute(select(DailyRollup).where(DailyRollup.kind == kind)).scalars())


def test_listeners_record_each_fact_once_with_its_rollup(backend: Any) -> None:
    get_report_settings.cache_clear()
    composition.wire()
    channel = make_channel("sms_twilio")
    agent = make_user("agent@reports.test")
    with session_scope() as session:
        store.store_inbound(session, [store.Arrival(channel.id or 0, "sms", inbound("SM1", "+85290000001"))])
    assert _facts() == {kinds.CONVERSATION_OPENED: 1, kinds.MESSAGE_RECEIVED: 1}
    with session_scope() as session:
        conversation = session.execute(select(Conversation)).scalars().one()
        outbound.queue_reply(session=session, conversation=conversation, author_id=agent.id, text="你好！")
    facts = _facts()
    assert facts[kinds.MESSAGE_SENT] == 1 and facts[kinds.FIRST_RESPONSE] == 1 and facts[kinds.REPLY] == 1
    with session_scope() as session:  # the provider says it was read (as hub's receipts announce it)
        message = session.execute(select(Message).where(Message.direction == "outbound")).scalars().one()
        message.status, message.delivered_at, message.read_at = "read", utcnow(), utcnow()
        events.emit(session, events.MESSAGE_STATUS, message_id=message.id, conversation_id=message.conversation_id,
                    status="read")
    assert _facts()[kinds.MESSAGE_READ] == 1 and _facts()[kinds.MESSAGE_DELIVERED] == 1
    with session_scope() as session:
        conversation = session.execute(select(Conversation)).scalars().one()
        actions.set_status(session=session, conversation=conversation, status="resolved", actor_id=agent.id)
    assert _facts()[kinds.RESOLVED] == 1
    with session_scope() as session:  # a paid order, then its refund (catalog announces both)
        conversation = session.execute(select(Conversation)).scalars().one()
        order = Order(number="R-0001", contact_id=conversation.contact_id, conversation_id=conversation.id,
                      channel_id=channel.id, agent_id=agent.id, currency="HKD", total_minor=29600, status="paid",
                      paid_at=utcnow())
        session.add(order)
        session.flush()
        events.emit(session, ORDER_CHANGED, order_id=order.id, status="paid")
    assert _facts()[kinds.ORDER_PAID] == 1
    with session_scope() as session:
        order = session.execute(select(Order)).scalars().one()
        order.status = "refunded"
        events.emit(session, ORDER_CHANGED, order_id=order.id, status="refunded")
    assert _facts()[kinds.ORDER_REFUNDED] == 1
    # the same rows again: nothing new, and the rollups did not count twice
    with session_scope() as session:
        assert record.sync(session, conversation_ids=[1], message_ids=[1, 2], order_ids=[1]) == 0
    assert _rolled(kinds.MESSAGE_RECEIVED) == 1 and _rolled(kinds.ORDER_PAID) == 1
    with session_scope() as session:
        paid = session.execute(select(DailyRollup).where(DailyRollup.kind == kinds.ORDER_PAID)).scalars().one()
        assert (paid.currency, paid.amount_minor, paid.agent_id) == ("HKD", 29600, agent.id)


def test_receipts_record_the_facts_of_the_statuses_they_moved_to_and_nothing_is_left_for_a_sync(backend: Any
                                                                                               ) -> None:
    """Receipts record only the facts of their new statuses (a message read before its delivery receipt came was
    delivered too; a broadcast's message, queued with no event, was sent); a later sync of every message, as the
    backfill does, then finds nothing missing."""
    get_report_settings.cache_clear()
    composition.wire()
    channel = make_channel("sms_twilio")
    with session_scope() as session:
        store.store_inbound(session, [store.Arrival(channel.id or 0, "sms", inbound("SM1", "+85290000001"))])
    ids = []
    with session_scope() as session:
        conversation = session.execute(select(Conversation)).scalars().one()
        for n in range(4):
            message, _ = outbound.queue_reply(session=session, conversation=conversation, author_id=None, text=f"{n}")
            message.status, message.provider_message_id = "sent", f"SMout{n}"
            ids.append(message.id or 0)
        # a broadcast's message: queued as a campaign queues it (no MESSAGE_CREATED, its `sent` not announced)
        [(broadcast, _)] = engine.enqueue(session, [engine.Draft(
            conversation_id=conversation.id or 0, channel_id=channel.id or 0, text="冬季優惠",
            sender=engine.Sender.broadcast.value, client_key="broadcast:1")])
        session.execute(update(Message).where(Message.id == broadcast).values(  # type: ignore[arg-type]
            status="sent", provider_message_id="SMout4"))
        ids.append(broadcast)
    assert _facts()[kinds.MESSAGE_SENT] == 4
    at = datetime(2026, 12, 1, 9, tzinfo=UTC)
    plan = [("SMout0", "delivered"), ("SMout1", "read"), ("SMout2", "failed"), ("SMout3", "delivered"),
            ("SMout3", "read"), ("SMout0", "delivered"), ("SMout4", "delivered")]
    with session_scope() as session:
        conversations.apply_receipts(session=session, receipts=[
            (channel.id or 0, StatusUpdate(provider_message_id=pid, status=status, at=at + timedelta(minutes=n),  # type: ignore[arg-type]
                                           error_code="30003" if status == "failed" else None))
            for n, (pid, status) in enumerate(plan)])
    facts = _facts()
    assert (facts[kinds.MESSAGE_DELIVERED], facts[kinds.MESSAGE_READ], facts[kinds.MESSAGE_FAILED]) == (4, 2, 1)
    assert facts[kinds.MESSAGE_SENT] == 5  # the broadcast's sending, recorded with its first receipt
    with session_scope() as session:
        assert record.sync(session, message_ids=[*ids, *range(1, 10)]) == 0
        read = session.execute(select(ReportEvent).where(ReportEvent.kind == kinds.MESSAGE_READ,
                                                         ReportEvent.message_id == ids[3])).scalars().one()
        assert read.at == at + timedelta(minutes=4)
    assert _rolled(kinds.MESSAGE_DELIVERED) == 4 and _rolled(kinds.MESSAGE_SENT) == 5
