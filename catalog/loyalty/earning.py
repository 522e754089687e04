"""Points from orders: a paid order (online, Shopify or from a store's till) earns by its currency's rule; a
refund takes back the same share of what the order earned as the share of its total refunded.

Each is keyed by the order (and, for a refund, by the amount refunded so far), so an event delivered twice,
or a job run twice, changes the ledger once.
"""

from __future__ import annotations

from sqlmodel import Session, col, func, select

from catalog import orders
from catalog.loyalty.ledger import Posted, lock_account, post
from catalog.loyalty.models import EarnRule, EntryKind, LoyaltyEntry
from catalog.models import OrderStatus


def points_for(session: Session, currency: str, total_minor: int) -> int:
    """What spending `total_minor` in `currency` earns (whole points, rounded down; no rule: none)."""
    rule = session.get(EarnRule, currency.upper())
    if rule is None or total_minor <= 0:
        return 0
    return total_minor * rule.points // rule.spend_minor


def earn_for_order(*, session: Session, order_id: int) -> Posted | None:
    """Earn for a paid order (None: not paid, refunded already, or it earns nothing). A partial refund whose
    job ran before this one (and found nothing to take back) is taken back now."""
    order = orders.get_order(session=session, order_id=order_id)
    if order is None or order.id is None or order.status != OrderStatus.paid.value:
        return None
    points = points_for(session, order.currency, order.total_minor)
    if points <= 0:
        return None
    posted = post(session=session, contact_id=order.contact_id, kind=EntryKind.earn, points=points,
                  key=f"earn:order:{order.id}", reason=f"order {order.number}", order_id=order.id,
                  now=order.paid_at)
    refunded = [int(event.detail.get("refunded_minor") or 0) for event in orders.timeline(session=session,
                                                                                        order_id=order.id)
                if event.kind == "partly_refunded"]
    if posted.created and refunded:
        reverse_for_refund(session=session, order_id=order.id, refunded_minor=max(refunded))
    return posted


def _sum(session: Session, order_id: int, kind: EntryKind) -> int:
    return int(session.exec(select(func.coalesce(func.sum(LoyaltyEntry.points), 0)).where(
        col(LoyaltyEntry.order_id) == order_id, LoyaltyEntry.kind == kind.value)).one())


def reverse_for_refund(*, session: Session, order_id: int, refunded_minor: int | None = None) -> Posted | None:
    """Take back the refunded share of what the order earned. `refunded_minor`: refunded so far in all
    (Stripe's `amount_refunded`); None: the whole order. Never more than the order earned; a balance that
    would go below zero (points already spent or expired) gives what is left, unless the program allows
    a negative balance."""
    order = orders.get_order(session=session, order_id=order_id)
    if order is None or order.id is None:
        return None
    lock_account(session, order.contact_id)  # before reading what was reversed: two refunds at once queue here
    earned = _sum(session, order.id, EntryKind.earn)
    if earned <= 0:
        return None
    share = order.total_minor if refunded_minor is None else min(max(refunded_minor, 0), order.total_minor)
    target = earned if share >= order.total_minor else earned * share // max(order.total_minor, 1)
    owed = target + _sum(session, order.id, EntryKind.reverse)  # reversals are negative
    if owed <= 0:
        return None
    label = "full" if refunded_minor is None else str(share)
    return post(session=session, contact_id=order.contact_id, kind=EntryKind.reverse, points=-owed,
                key=f"reverse:order:{order.id}:{label}", reason=f"refund of order {order.number}",
                order_id=order.id, clamp=True)
