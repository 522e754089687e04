"""The set-based receipt path (a drained batch, as campaigns produce them) against one receipt at a time."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from channels import StatusUpdate
from hub.contacts.models import Contact
from hub.conversations import service as conversations
from hub.conversations.models import Conversation, Message, PendingReceipt
from hub.runtime import events
from hub.runtime.db import session_scope
from tests.factories import make_channel

STATUSES = ("sent", "delivered", "read", "failed")
START = ("queued", "sending", "sent", "delivered", "read", "failed")


def seed(channel_id: int, rng: random.Random, prefix: str) -> list[int]:
    with session_scope() as session:
        contact = Contact(name="客")
        session.add(contact)
        session.flush()
        conversation = Conversation(contact_id=contact.id or 0, channel_id=channel_id)
        session.add(conversation)
        session.flush()
        ids = []
        for n in range(12):
            message = Message(conversation_id=conversation.id or 0, channel_id=channel_id, direction="outbound",
                              text="hi", status=rng.choice(START), provider_message_id=f"{prefix}{n}")
            if message.status == "read" and rng.random() < 0.5:
                message.read_at = datetime(2026, 1, 1, tzinfo=UTC)
            session.add(message)
            session.flush()
            ids.append(message.id or 0)
        return ids


def shape(ids: list[int], prefix: str) -> list[tuple[object, ...]]:
    base = datetime(2026, 1, 1, tzinfo=UTC)
    with session_scope() as session:
        rows = [(m.status, m.error_code, m.error_reason,
                 *[None if v is None else round((v.replace(tzinfo=UTC) if v.tzinfo is None else v).timestamp()
                                                - base.timestamp())
                   for v in (m.sent_at, m.delivered_at, m.read_at, m.failed_at)])
                for m in session.exec(select(Message).where(Message.id.in_(ids)).order_by(Message.id))]  # type: ignore[attr-defined]
        kept = sorted((p.provider_message_id.removeprefix(prefix), p.status)
                      for p in session.exec(select(PendingReceipt).where(
                          PendingReceipt.provider_message_id.startswith(prefix))))  # type: ignore[attr-defined]
    return [*rows, tuple(kept)]


def test_a_batch_of_receipts_ends_exactly_where_one_at_a_time_does(backend: object) -> None:
    channel_id = make_channel("whatsapp_meta").id or 0
    seen: list[list[events.Event]] = []
    events.subscribe_batch(events.MESSAGE_STATUS, seen.append)
    for trial in range(6):
        rng = random.Random(trial)
        start = rng.getstate()
        one_ids = seed(channel_id, rng, f"a{trial}-")
        rng.setstate(start)
        batch_ids = seed(channel_id, rng, f"b{trial}-")
        plan = [(rng.randrange(14), rng.choice(STATUSES), rng.randrange(100)) for _ in range(40)]

        def receipt(prefix: str, n: int, status: str, minute: int) -> StatusUpdate:
            failed = status == "failed"
            return StatusUpdate(provider_message_id=f"{prefix}{n}", status=status,  # type: ignore[arg-type]
                                at=datetime(2026, 1, 1, tzinfo=UTC) + timedelta(minutes=minute),
                                error_code=f"E{minute}" if failed else None,
                                error_reason=f"r{minute}" if failed else None)

        moved_one = 0
        for n, status, minute in plan:
            with session_scope() as session:
                moved_one += conversations.apply_receipts(session=session, receipts=[
                    (channel_id, receipt(f"a{trial}-", n, status, minute))])
        seen.clear()
        with session_scope() as session:
            moved = conversations.apply_receipts(session=session, receipts=[
                (channel_id, receipt(f"b{trial}-", n, status, minute)) for n, status, minute in plan])
        assert shape(one_ids, f"a{trial}-") == shape(batch_ids, f"b{trial}-")
        assert len(seen) == (1 if moved_one else 0)  # every move announced, in one delivery
        assert sum(len(batch) for batch in seen) == moved_one
        assert moved <= moved_one
