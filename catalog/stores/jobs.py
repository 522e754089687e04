"""The stores' jobs and listeners: behaviour tags after a batch of imported sales, and coupons' expiry."""

from __future__ import annotations

from datetime import timedelta

from catalog import behaviour
from catalog.stores import coupons, pos_import
from hub.runtime import Periodic, broker, events, queues
from hub.runtime.db import session_scope


def recompute_contacts(contact_ids: list[int]) -> str:
    """Behaviour tags (lifecycle, VIP) of the customers a batch of imported sales belongs to."""
    with session_scope() as session:
        changes = behaviour.recompute(session=session, contact_ids=contact_ids)
    return f"{changes['added']} added, {changes['removed']} removed"


def on_imported(event: events.Event) -> None:
    broker.enqueue(queues.REPORTS, recompute_contacts, list(event.data.get("contact_ids") or []))


def expire_coupons() -> str:
    """Issued coupons past their end read as expired in lists and reports too."""
    with session_scope() as session:
        return f"{coupons.expire_due(session=session)} expired"


EXPIRY = Periodic(expire_coupons, every=timedelta(hours=1), queue=queues.MAINTENANCE, timeout=300)
IMPORTS = Periodic(pos_import.sweep, every=timedelta(minutes=5), queue=queues.MAINTENANCE, timeout=60)
"""POS imports whose job was lost are queued again."""
