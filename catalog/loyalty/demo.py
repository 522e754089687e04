"""Demo loyalty program for `make run`: a point per HK$10 or ¥100, and three tiers, so paid orders (the
sandbox checkout's, a store's till) show points and a tier in the contact panel."""

from __future__ import annotations

from sqlmodel import col, select

from catalog.loyalty import earning, program
from catalog.models import Order, OrderStatus
from hub.runtime.db import session_scope

RULES = {"HKD": (1, 1000), "JPY": (1, 100)}
TIERS = [("Silver", 300, ["5% off every purchase"]), ("Gold", 1000, ["10% off every purchase", "free alterations"]),
         ("Platinum", 3000, ["15% off every purchase", "a personal stylist"])]


def announce() -> str | None:
    """Set the demo program up unless an admin did already; earn for paid orders that have not (idempotent)."""
    said = []
    with session_scope() as session:
        if not program.rules(session=session) and not program.tiers(session=session):
            for currency, (points, spend_minor) in RULES.items():
                program.set_rule(session=session, actor_id=None, currency=currency, points=points,
                                 spend_minor=spend_minor)
            for name, threshold, benefits in TIERS:
                program.save_tier(session=session, actor_id=None, tier_id=None, name=name, threshold=threshold,
                                  benefits=benefits)
            said.append("demo loyalty program set up")
        paid = [int(i) for i in session.exec(select(Order.id).where(Order.status == OrderStatus.paid.value)
                                             .order_by(col(Order.id)).limit(1000)) if i]
    earned = 0
    for order_id in paid:
        with session_scope() as session:
            posted = earning.earn_for_order(session=session, order_id=order_id)
            earned += bool(posted and posted.created)
    if earned:
        said.append(f"points earned for {earned} paid orders")
    return "; ".join(said) or None
