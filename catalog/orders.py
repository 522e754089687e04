"""Orders: checkout with a stock reservation, payment, expiry, refund, and "where is my order".

Stock moves only through conditional UPDATEs on the variant row (`… WHERE stock_on_hand -
stock_reserved >= :q`), one per line in variant-id order: PostgreSQL re-checks the condition after
waiting for a competing writer, so two customers buying the last item can never both get it, and
the CHECK constraints stop anything that slips past. Each order change locks the order's row first,
which makes payment, expiry and refund safe to run twice or at once. The caller commits; events are
delivered after that commit.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, update
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from catalog.errors import CartError, NotFound, OrderError, OutOfStock
from catalog.models import Cart, CartItem, CartStatus, Order, OrderEvent, OrderLine, OrderStatus, Product, Variant
from catalog.products import available, price_of, variant_label
from hub.contacts import locales
from hub.contacts import service as contacts
from hub.conversations import service as conversations
from hub.runtime import events
from hub.runtime.db import utcnow

ORDER_CHANGED = "order.changed"
"""Any order status change (created, paid, expired, cancelled, refunded): data order_id, contact_id,
conversation_id, status."""
ORDER_PAID = "order.paid"
"""An order was paid (once per order): data order_id, contact_id, conversation_id, status."""
ORDER_REFUNDED = "order.refunded"
"""A paid order was refunded (once per order): the same data."""
ORDER_PARTLY_REFUNDED = "order.partly_refunded"
"""Part of a paid order was refunded; it stays paid: the same data and refunded_minor (refunded so far in all)."""

ATTRIBUTION: list[Callable[[Session, int, datetime], int | None]] = []
"""Who else may claim an order at checkout: each is called with (session, contact id, now) and answers a
campaign id or None. `flows.campaigns` registers the broadcast the customer answered or clicked within its
window, so the order (and its Stripe Checkout Session's metadata) names the campaign from the start."""
FLOW_ATTRIBUTION: list[Callable[[Session, int, datetime], int | None]] = []
"""The same for journeys: `flows.journeys` registers the journey whose message the customer had within its
window, so sales can be read by flow."""
HOLD = timedelta(hours=1)  # as long as the Stripe Checkout Session it pays through
"""How long a pending order holds its stock before it may expire."""
_NUMBER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I: read out over a chat or a phone


@dataclass(frozen=True)
class Payment:
    """What `mark_paid` did. `oversold`: SKUs paid for after expiry that had no stock left."""

    order: Order
    already_paid: bool
    oversold: tuple[str, ...] = ()


def _number() -> str:
    letters = "".join(secrets.choice(_NUMBER_ALPHABET) for _ in range(8))
    return f"{letters[:4]}-{letters[4:]}"


def new_number() -> str:
    """A fresh order number (for orders written in bulk)."""
    return _number()


def _changed(session: Session, *conditions: ColumnElement[bool], **values: Any) -> int:
    table = Variant.__table__  # type: ignore[attr-defined]
    statement = update(table).where(*conditions).values(updated_at=utcnow(), **values)
    return int(cast(CursorResult[Any], session.execute(statement)).rowcount)


def _stock() -> Any:
    return Variant.__table__.c  # type: ignore[attr-defined]


def _reserve(session: Session, variant_id: int, quantity: int) -> bool:
    c = _stock()
    return _changed(session, c.id == variant_id, c.stock_on_hand - c.stock_reserved >= quantity,
                    stock_reserved=c.stock_reserved + quantity) == 1


def _release(session: Session, variant_id: int, quantity: int) -> bool:
    c = _stock()
    return _changed(session, c.id == variant_id, c.stock_reserved >= quantity,
                    stock_reserved=c.stock_reserved - quantity) == 1


def _ship_reserved(session: Session, variant_id: int, quantity: int) -> bool:
    c = _stock()
    return _changed(session, c.id == variant_id, c.stock_reserved >= quantity, c.stock_on_hand >= quantity,
                    stock_on_hand=c.stock_on_hand - quantity, stock_reserved=c.stock_reserved - quantity) == 1


def _ship_unreserved(session: Session, variant_id: int, quantity: int) -> bool:
    c = _stock()
    return _changed(session, c.id == variant_id, c.stock_on_hand - c.stock_reserved >= quantity,
                    stock_on_hand=c.stock_on_hand - quantity) == 1


def _announce(session: Session, order: Order, *names: str) -> None:
    for name in names:
        events.emit(session, name, order_id=order.id, contact_id=order.contact_id,
                    conversation_id=order.conversation_id, status=order.status)


def _record(session: Session, order_id: int, kind: str, **detail: Any) -> OrderEvent:
    event = OrderEvent(order_id=order_id, kind=kind, detail=detail)
    session.add(event)
    return event


def checkout(*, session: Session, cart: Cart, agent_id: int | None = None, campaign_id: int | None = None,
             hold: timedelta = HOLD, now: datetime | None = None) -> Order:
    """Turn an open cart into a pending order at today's catalog prices, holding its stock.

    All or nothing: when any line is short, `OutOfStock` is raised and nothing is reserved or changed.
    """
    now = now or utcnow()
    with session.begin_nested():
        locked = session.get(Cart, cart.id, with_for_update=True, populate_existing=True)
        if locked is None or locked.status != CartStatus.open.value:
            raise CartError(f"cart {cart.id} is not open: it was checked out or closed")
        items = list(session.exec(select(CartItem).where(CartItem.cart_id == locked.id)
                                  .order_by(col(CartItem.variant_id))))
        if not items:
            raise CartError("the cart is empty")
        contact = contacts.get(session=session, contact_id=locked.contact_id)
        conversation = (conversations.get(session=session, conversation_id=locked.conversation_id)
                        if locked.conversation_id else None)
        locale = locales.for_contact(session, contact, conversation.channel_id if conversation else None)
        lines: list[OrderLine] = []
        for item in items:  # variant-id order: concurrent checkouts lock rows in one order, never deadlock
            variant = session.get(Variant, item.variant_id)
            product = session.get(Product, variant.product_id) if variant else None
            if variant is None or product is None:
                raise CartError(f"variant {item.variant_id} is no longer in the catalog")
            if not product.active:
                raise CartError(f"{variant.sku} is not on sale any more")
            unit = price_of(session=session, variant=variant, currency=locked.currency)
            if not _reserve(session, item.variant_id, item.quantity):
                session.refresh(variant)
                raise OutOfStock(variant.sku, item.quantity, available(variant))
            lines.append(OrderLine(order_id=0, variant_id=variant.id, sku=variant.sku,
                                   title=variant_label(product, variant, locale)[:500], quantity=item.quantity,
                                   unit_minor=unit, currency=locked.currency))
        if campaign_id is None:
            campaign_id = next((found for claim in ATTRIBUTION
                                if (found := claim(session, locked.contact_id, now)) is not None), None)
        flow_id = next((found for claim in FLOW_ATTRIBUTION
                        if (found := claim(session, locked.contact_id, now)) is not None), None)
        order = Order(number=_number(), contact_id=locked.contact_id, conversation_id=locked.conversation_id,
                      channel_id=conversation.channel_id if conversation else None, agent_id=agent_id,
                      campaign_id=campaign_id, flow_id=flow_id, currency=locked.currency,
                      total_minor=sum(line.unit_minor * line.quantity for line in lines),
                      created_at=now, expires_at=now + hold)
        session.add(order)
        session.flush()
        assert order.id is not None
        for line in lines:
            line.order_id = order.id
        session.add_all(lines)
        _record(session, order.id, "created", cart_id=locked.id, total_minor=order.total_minor,
                currency=order.currency)
        locked.status = CartStatus.checked_out.value
        locked.updated_at = now
        session.add(locked)
        session.flush()
    _announce(session, order, ORDER_CHANGED)
    return order


def _lock(session: Session, order_id: int) -> Order:
    order = session.get(Order, order_id, with_for_update=True, populate_existing=True)
    if order is None:
        raise NotFound(f"there is no order {order_id}")
    return order


def lines_of(*, session: Session, order_id: int) -> list[OrderLine]:
    return list(session.exec(select(OrderLine).where(OrderLine.order_id == order_id).order_by(col(OrderLine.id))))


def timeline(*, session: Session, order_id: int) -> list[OrderEvent]:
    """The order's status timeline, oldest first."""
    return list(session.exec(select(OrderEvent).where(OrderEvent.order_id == order_id)
                             .order_by(col(OrderEvent.id))))


def _by_variant(session: Session, order_id: int) -> list[OrderLine]:
    return sorted(lines_of(session=session, order_id=order_id), key=lambda line: (line.variant_id or 0, line.id or 0))


def mark_paid(*, session: Session, order_id: int, provider: str, payment_ref: str,
              now: datetime | None = None) -> Payment:
    """Record a payment: the stock it held is taken for good. Safe to call twice (`already_paid`).

    A payment that arrives after the order expired or was cancelled is still recorded: the stock is
    taken again where some is left; a line with none left is recorded as "oversold" for a person to sort out.
    """
    now = now or utcnow()
    order = _lock(session, order_id)
    assert order.id is not None
    if order.status in (OrderStatus.paid.value, OrderStatus.refunded.value):
        if order.payment_ref != payment_ref and not _seen_payment(session, order.id, payment_ref):
            _record(session, order.id, "second_payment", provider=provider, payment_ref=payment_ref)
            session.flush()
        return Payment(order=order, already_paid=True)
    other = session.exec(select(Order.id).where(Order.payment_ref == payment_ref, col(Order.id) != order.id)).first()
    if other is not None:
        raise OrderError(f"payment {payment_ref} is recorded on another order already")
    held = order.status == OrderStatus.pending.value
    oversold: list[str] = []
    for line in _by_variant(session, order.id):
        taken = line.variant_id is not None and (
            (held and _ship_reserved(session, line.variant_id, line.quantity))
            or _ship_unreserved(session, line.variant_id, line.quantity))
        if not taken:
            oversold.append(line.sku)
            _record(session, order.id, "oversold", sku=line.sku, quantity=line.quantity)
    _record(session, order.id, "paid", provider=provider, payment_ref=payment_ref, previous=order.status)
    order.status = OrderStatus.paid.value
    order.paid_at = now
    order.payment_provider = provider
    order.payment_ref = payment_ref
    session.add(order)
    session.flush()
    _announce(session, order, ORDER_PAID, ORDER_CHANGED)
    return Payment(order=order, already_paid=False, oversold=tuple(oversold))


def _seen_payment(session: Session, order_id: int, payment_ref: str) -> bool:
    return any(event.detail.get("payment_ref") == payment_ref
               for event in timeline(session=session, order_id=order_id) if event.kind == "second_payment")


def _end_pending(session: Session, order_id: int, status: OrderStatus, **detail: Any) -> bool:
    order = _lock(session, order_id)
    if order.status != OrderStatus.pending.value:
        return False
    assert order.id is not None
    for line in _by_variant(session, order.id):
        if line.variant_id is not None:
            _release(session, line.variant_id, line.quantity)
    order.status = status.value
    session.add(order)
    _record(session, order.id, status.value, **detail)
    session.flush()
    _announce(session, order, ORDER_CHANGED)
    return True


def expire(*, session: Session, order_id: int) -> bool:
    """Give a pending order's stock back; True if this call expired it (only ever once)."""
    return _end_pending(session, order_id, OrderStatus.expired)


def cancel(*, session: Session, order_id: int, reason: str = "") -> bool:
    """Cancel a pending order and give its stock back; True if this call cancelled it."""
    return _end_pending(session, order_id, OrderStatus.cancelled, reason=reason)


def refund(*, session: Session, order_id: int, reason: str = "") -> bool:
    """Mark a paid order refunded; True if this call did (a second call changes nothing).

    Stock is not put back: whether the goods came back is for a person to count.
    """
    order = _lock(session, order_id)
    if order.status == OrderStatus.refunded.value:
        return False
    if order.status != OrderStatus.paid.value:
        raise OrderError(f"order {order.number} is {order.status}: only a paid order can be refunded")
    assert order.id is not None
    order.status = OrderStatus.refunded.value
    order.refunded_at = _record(session, order.id, "refunded", reason=reason).created_at  # the event's moment
    session.add(order)
    session.flush()
    _announce(session, order, ORDER_REFUNDED, ORDER_CHANGED)
    return True


def record_partial_refund(*, session: Session, order_id: int, refunded_minor: int, reason: str = "") -> bool:
    """Note that `refunded_minor` of a paid order has been refunded so far (the order stays paid); True when
    this amount is new for the order (the same amount again changes nothing)."""
    order = _lock(session, order_id)
    assert order.id is not None
    if order.status != OrderStatus.paid.value or refunded_minor <= 0:
        return False
    if any(event.kind == "partly_refunded" and event.detail.get("refunded_minor") == refunded_minor
           for event in timeline(session=session, order_id=order.id)):
        return False
    _record(session, order.id, "partly_refunded", refunded_minor=refunded_minor, reason=reason)
    session.flush()
    events.emit(session, ORDER_PARTLY_REFUNDED, order_id=order.id, contact_id=order.contact_id,
                conversation_id=order.conversation_id, status=order.status, refunded_minor=refunded_minor)
    return True


@dataclass(frozen=True)
class ExternalLine:
    sku: str
    title: str
    quantity: int
    unit_minor: int


def record_paid_elsewhere(*, session: Session, contact_id: int, currency: str, total_minor: int,
                          lines: list[ExternalLine], provider: str, payment_ref: str,
                          paid_at: datetime | None = None, store_id: int | None = None) -> tuple[Order, bool]:
    """An order paid in another shop system (Shopify): recorded as paid, no stock moved (that system keeps
    its own). Unique on `payment_ref`; (the order, whether this call made it)."""
    known = find_by_payment_ref(session=session, payment_ref=payment_ref)
    if known is not None:
        return known, False
    now = paid_at or utcnow()
    order = Order(number=_number(), contact_id=contact_id, currency=currency, total_minor=total_minor,
                  status=OrderStatus.paid.value, payment_provider=provider, payment_ref=payment_ref,
                  created_at=now, paid_at=now, store_id=store_id)
    session.add(order)
    session.flush()
    assert order.id is not None
    session.add_all([OrderLine(order_id=order.id, sku=line.sku[:100], title=line.title[:500],
                               quantity=line.quantity, unit_minor=line.unit_minor, currency=currency)
                     for line in lines if line.quantity > 0])
    _record(session, order.id, "paid", provider=provider, payment_ref=payment_ref, previous="external")
    session.flush()
    _announce(session, order, ORDER_PAID, ORDER_CHANGED)
    return order, True


def due_for_expiry(*, session: Session, now: datetime | None = None, limit: int = 200) -> list[int]:
    """Pending orders whose hold has run out, oldest first (a sweeper expires them one by one)."""
    query = (select(Order.id)
             .where(Order.status == OrderStatus.pending.value, col(Order.expires_at) <= (now or utcnow()))
             .order_by(col(Order.expires_at)).limit(limit))
    return [int(order_id) for order_id in session.exec(query) if order_id is not None]


def get_order(*, session: Session, order_id: int) -> Order | None:
    return session.get(Order, order_id)


def find_by_number(*, session: Session, number: str) -> Order | None:
    return session.exec(select(Order).where(Order.number == number.strip().upper())).first()


def find_by_payment_ref(*, session: Session, payment_ref: str) -> Order | None:
    return session.exec(select(Order).where(Order.payment_ref == payment_ref)).first()


def recent_orders(*, session: Session, contact_id: int, limit: int = 5) -> list[Order]:
    """A contact's latest orders, newest first: the answer to "where is my order"."""
    query = (select(Order).where(Order.contact_id == contact_id)
             .order_by(col(Order.created_at).desc(), col(Order.id).desc()).limit(limit))
    return list(session.exec(query))
