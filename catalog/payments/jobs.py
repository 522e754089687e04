"""RQ jobs for Stripe events. Each takes a stored event's id, opens its own session, and is safe to run twice."""

from __future__ import annotations

import logging
from datetime import timedelta

from catalog.payments import service
from hub.runtime import broker
from hub.runtime.db import session_scope, utcnow
from hub.runtime.inbox import RawEvent
from hub.runtime.record import Inbox

log = logging.getLogger(__name__)

PROVIDER = "stripe"
MAX_ATTEMPTS = 8
STALE = timedelta(minutes=2)


def process_event(event_row_id: int) -> str:
    """Apply one stored Stripe event; afterwards, any refunds that were waiting for the payment it recorded."""
    try:
        with session_scope() as session:
            event = session.get(RawEvent, event_row_id, with_for_update=True, populate_existing=True)
            if event is None or event.provider != PROVIDER or event.processed_at is not None:
                return "done"
            outcome, payment_intent = service.apply(session=session, event=event)
            event.outcome, event.error, event.attempts = outcome, None, event.attempts + 1
            if outcome != "waiting":
                event.processed_at, event.waiting_for = utcnow(), None
            session.add(event)
            session.flush()
            follow_ups = service.waiting_on(session=session, payment_intent=payment_intent) if payment_intent else []
    except Exception as error:
        _failed(event_row_id, error)
        raise  # RQ retries with backoff
    for waiting_id in follow_ups:
        process_event(waiting_id)
    return outcome


def _failed(event_row_id: int, error: Exception) -> None:
    log.exception("stripe event %s failed", event_row_id)
    with session_scope() as session:
        event = session.get(RawEvent, event_row_id)
        if event is None:
            return
        event.attempts += 1
        event.error = f"{type(error).__name__}: {error}"[:1000]
        if event.attempts >= MAX_ATTEMPTS:  # dead: kept with its error for a person to look at
            event.processed_at, event.outcome = utcnow(), "failed"
        session.add(event)


def enqueue(event_row_id: int) -> None:
    broker.enqueue("inbound", process_event, event_row_id)


def enqueue_all(event_row_ids: list[int]) -> None:
    """Queue the events the inbox's sweep found unprocessed (their job was lost: Redis restarted, a worker died)."""
    for event_row_id in event_row_ids:
        enqueue(event_row_id)


INBOX = Inbox(wake=enqueue_all, stale_after=STALE)
"""Stripe's events in the raw-event inbox: the sweep leaves the waiting ones (refunds before their payment)."""
