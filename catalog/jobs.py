"""Catalog jobs and the listeners that enqueue them. Jobs take ids, open their own session, and are
safe to run twice. `register()` is called by the composition roots (the app and the worker)."""

from __future__ import annotations

from datetime import datetime, timedelta

from catalog import behaviour, chat_replies
from catalog.orders import ORDER_CHANGED
from hub import broker, events
from hub.db import session_scope, utcnow

QUEUE = "inbound"
NIGHTLY_HOUR_UTC = 17
"""The nightly recompute starts with the first sweep after 17:00 UTC: 01:00 in Hong Kong, 02:00 in Tokyo."""


def recompute_contact(contact_id: int) -> str:
    """A contact's behaviour tags after one of their orders changed."""
    with session_scope() as session:
        changes = behaviour.recompute(session=session, contact_ids=[contact_id])
    return f"{changes['added']} added, {changes['removed']} removed"


def recompute_everyone() -> str:
    """Everyone's behaviour tags: time alone moves customers across the lifecycle matrix."""
    with session_scope() as session:
        changes = behaviour.recompute(session=session)
    return f"{changes['added']} added, {changes['removed']} removed"


def enqueue_recompute(event: events.Event) -> None:
    broker.enqueue(QUEUE, recompute_contact, event.data["contact_id"])


def schedule_nightly(now: datetime | None = None) -> bool:
    """Enqueue the nightly recompute once a day, whichever worker's sweeper gets there first."""
    moment = now or utcnow()
    period = (moment - timedelta(hours=NIGHTLY_HOUR_UTC)).date().isoformat()
    if broker.connection().set(broker.key("catalog", "behaviour", period), 1, nx=True, ex=3 * 86400):
        broker.queue("bulk").enqueue(recompute_everyone, job_timeout=3600)
        return True
    return False


def register() -> None:
    events.subscribe(ORDER_CHANGED, enqueue_recompute)
    events.subscribe(events.MESSAGE_RECEIVED, chat_replies.enqueue_cart_reply)
