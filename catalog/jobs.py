"""Catalog jobs and the listeners that enqueue them. Jobs take ids, open their own session, and are
safe to run twice. The catalog's record (`catalog.module`) lists the listeners and the nightly job."""

from __future__ import annotations

from datetime import timedelta

from catalog import behaviour
from hub.runtime import Periodic, broker, events, queues
from hub.runtime.db import session_scope

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


NIGHTLY = Periodic(recompute_everyone, every=timedelta(days=1), at=timedelta(hours=NIGHTLY_HOUR_UTC),
                   queue=queues.REPORTS, timeout=3600)
"""Everyone's behaviour tags once a day, whichever worker's sweeper gets there first."""
