"""The catalog's part of a contact's export and erasure: orders stay as anonymous totals, carts go."""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select, update
from sqlmodel import Session, col

from catalog.models import Cart, Order, OrderEvent, OrderLine
from catalog.payments.models import StripeCheckout
from hub.privacy.erasure import delete_bodies_containing
from hub.privacy.hooks import Section
from hub.privacy.hooks import register as register_section
from hub.runtime.inbox import RawEvent


def export(session: Session, contact_id: int) -> list[dict[str, Any]]:
    """The contact's orders with their lines."""
    orders = []
    for order in session.execute(select(Order).where(col(Order.contact_id) == contact_id)
                                 .order_by(col(Order.id))).scalars():
        lines = session.execute(select(OrderLine).where(col(OrderLine.order_id) == order.id)
                                .order_by(col(OrderLine.id))).scalars()
        orders.append({"number": order.number, "status": order.status, "currency": order.currency,
                       "total_minor": order.total_minor, "created_at": order.created_at, "paid_at": order.paid_at,
                       "lines": [{"sku": line.sku, "title": line.title, "quantity": line.quantity,
                                  "unit_minor": line.unit_minor} for line in lines]})
    return orders


def erase(session: Session, contact_id: int) -> None:
    """Carts, checkouts and Stripe's events about them deleted; orders keep currency, total, status and dates
    (the shop's books), nothing else."""
    session.execute(delete(Cart).where(col(Cart.contact_id) == contact_id))
    mine = select(col(Order.id)).where(col(Order.contact_id) == contact_id)
    checkouts = session.execute(select(StripeCheckout).where(col(StripeCheckout.order_id).in_(mine))).scalars().all()
    refs = {value.encode() for c in checkouts for value in (c.session_id, c.payment_intent) if value}
    # Stripe's events about these checkouts carry the customer's email and name
    delete_bodies_containing(session, RawEvent.__table__, refs)  # type: ignore[attr-defined]
    session.execute(delete(StripeCheckout).where(col(StripeCheckout.order_id).in_(mine)))
    session.execute(delete(OrderLine).where(col(OrderLine.order_id).in_(mine)))
    session.execute(delete(OrderEvent).where(col(OrderEvent.order_id).in_(mine)))
    session.execute(update(Order).where(col(Order.contact_id) == contact_id).values(
        conversation_id=None, payment_ref=None))


SECTION = Section(name="orders", export=export, erase=erase)
"""A contact's export and erasure cover their orders (registered by the catalog's record)."""


def register() -> None:
    """A hook in the catalog's record: plug the orders' section into the core's export and erasure."""
    register_section(SECTION)
