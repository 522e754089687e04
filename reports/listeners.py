"""Record facts right after the commit that made them: each listener takes one commit's events of a name at
once (a batch of receipts is one write), and records what the rows behind their ids now show.

A listener that fails loses nothing that `hub reports backfill` cannot rebuild from the rows themselves.
"""

from __future__ import annotations

from collections import defaultdict

from hub.outbound import Sender
from hub.runtime import broker, queues
from hub.runtime.db import session_scope
from hub.runtime.events import Event
from reports import kinds, record
from reports.settings import get_report_settings


def _ids(batch: list[Event], name: str) -> list[int]:
    return [int(event.data[name]) for event in batch if event.data.get(name) is not None]


def on_messages(batch: list[Event]) -> None:
    """A customer's message: its fact (received). It changes no reply time, and a conversation a customer opens
    or reopens has its own CONVERSATION_OPENED event."""
    if not get_report_settings().record_live:
        return
    with session_scope() as session:
        record.sync(session, message_ids=_ids(batch, "message_id"))


STATUS_FACTS: dict[str, tuple[str, ...]] = {
    "sent": (kinds.MESSAGE_SENT,), "delivered": (kinds.MESSAGE_DELIVERED,), "failed": (kinds.MESSAGE_FAILED,),
    "read": (kinds.MESSAGE_DELIVERED, kinds.MESSAGE_READ)}  # a message read before its delivery receipt came
"""The facts a message's move to a status may show (queued, sending, unknown show none)."""


def on_statuses(batch: list[Event]) -> None:
    """Receipts: the facts of the statuses the messages moved to, not every fact of each message (a receipt
    changes no other; reading fewer keys is a good part of a receipt's cost). A broadcast's message is queued
    without MESSAGE_CREATED and its `sent` is not announced (its recipient row says it): any move of one also
    records that it was sent."""
    if not get_report_settings().record_live:
        return
    wanted: dict[int, set[str]] = defaultdict(set)
    for event in batch:
        shown = STATUS_FACTS.get(str(event.data.get("status")), ())
        if event.data.get("sender", Sender.broadcast.value) == Sender.broadcast.value:
            shown = (*shown, kinds.MESSAGE_SENT)
        if shown and event.data.get("message_id") is not None:
            wanted[int(event.data["message_id"])].update(shown)
    if wanted:
        with session_scope() as session:
            record.record_facts(session, record.message_facts(session, sorted(wanted), only=wanted))


def on_replies(batch: list[Event]) -> None:
    """A message queued by an agent, a bot or a sender: its facts, and its conversation's (first response, reply
    times)."""
    if not get_report_settings().record_live:
        return
    with session_scope() as session:
        record.sync(session, message_ids=_ids(batch, "message_id"), conversation_ids=_ids(batch, "conversation_id"))


def on_conversations(batch: list[Event]) -> None:
    """Opened, resolved, reopened, handed to a team: the conversation's facts."""
    if not get_report_settings().record_live:
        return
    with session_scope() as session:
        record.sync(session, conversation_ids=_ids(batch, "conversation_id"))


def on_orders(batch: list[Event]) -> None:
    if not get_report_settings().record_live:
        return
    with session_scope() as session:
        record.sync(session, order_ids=_ids(batch, "order_id"))


def on_csat(batch: list[Event]) -> None:
    """"csat.sent" / "csat.answered" from hub.csat: the facts are in the events themselves."""
    if not get_report_settings().record_live:
        return
    with session_scope() as session:
        record.record_facts(session, [record.csat_facts(event.name, event.data) for event in batch
                                      if event.data.get("survey_id") is not None])


def record_orders(order_ids: list[int]) -> int:
    """Job: the facts of a batch of imported orders; how many orders."""
    with session_scope() as session:
        record.sync(session, order_ids=order_ids)
    return len(order_ids)


def on_imported(batch: list[Event]) -> None:
    """Historical sales from a till's CSV: their order facts, by a job (a batch is a thousand orders, and the
    import should not wait for them)."""
    if not get_report_settings().record_live:
        return
    order_ids = [int(i) for event in batch for i in event.data.get("order_ids") or []]
    broker.enqueue(queues.REPORTS, record_orders, order_ids)
