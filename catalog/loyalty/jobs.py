"""Loyalty jobs and the listeners that queue them: a listener only queues a job that takes ids; the job opens
its own session and is safe to run twice (the ledger's keys see to that)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import col, select

from catalog.loyalty import earning, ledger
from catalog.loyalty.models import EarnRule, EntryKind, LoyaltyEntry
from catalog.models import Order, OrderStatus
from hub.runtime import Periodic, broker, events, queues
from hub.runtime.db import session_scope, utcnow

QUEUE = "inbound"
CATCH_UP = timedelta(days=3)
"""How far back the periodic job looks for paid orders whose earning job was lost."""


def earn(order_id: int) -> int:
    """Job: the points a paid order earns; how many this run posted."""
    with session_scope() as session:
        posted = earning.earn_for_order(session=session, order_id=order_id)
        return posted.entry.points if posted and posted.created and posted.entry else 0


def reverse(order_id: int, refunded_minor: int | None = None) -> int:
    """Job: take back a refund's share; how many points this run took."""
    with session_scope() as session:
        posted = earning.reverse_for_refund(session=session, order_id=order_id, refunded_minor=refunded_minor)
        return -posted.entry.points if posted and posted.created and posted.entry else 0


def expire_contact(contact_id: int) -> int:
    with session_scope() as session:
        return ledger.expire(session=session, contact_id=contact_id)


def sweep() -> str:
    """Periodic: expire what is due (contact by contact, each in its own transaction), earn for paid orders of
    the last days whose job was lost, and set right balances a merge of two contacts left out of step."""
    with session_scope() as session:
        unbalanced = ledger.out_of_balance(session=session)
    for contact_id in unbalanced:
        with session_scope() as session:
            ledger.reconcile(session=session, contact_id=contact_id)
    expired = visited = 0
    with session_scope() as session:
        due = ledger.contacts_with_expiring(session=session)
    for contact_id in due:
        expired += expire_contact(contact_id)
        visited += 1
    with session_scope() as session:
        earned = select(col(LoyaltyEntry.order_id)).where(LoyaltyEntry.kind == EntryKind.earn.value,
                                                           col(LoyaltyEntry.order_id).is_not(None))
        missed = [int(i) for i in session.exec(
            select(Order.id).where(Order.status == OrderStatus.paid.value,
                                   col(Order.paid_at) >= utcnow() - CATCH_UP,
                                   col(Order.currency).in_(select(EarnRule.currency)),
                                   col(Order.id).not_in(earned)).order_by(col(Order.id)).limit(500)) if i]
    for order_id in missed:
        earn(order_id)
    return (f"{expired} points expired for {visited} contacts; {len(missed)} orders caught up; "
            f"{len(unbalanced)} balances set right")


def on_order_paid(event: events.Event) -> None:
    broker.enqueue(QUEUE, earn, int(event.data["order_id"]))


def on_order_refunded(event: events.Event) -> None:
    refunded = event.data.get("refunded_minor")
    broker.enqueue(QUEUE, reverse, int(event.data["order_id"]), None if refunded is None else int(refunded))


SWEEP = Periodic(sweep, every=timedelta(hours=1), at=timedelta(minutes=7), queue=queues.MAINTENANCE, timeout=1800)
"""Expiry and catch-up once an hour, whichever worker's sweeper gets there first."""
