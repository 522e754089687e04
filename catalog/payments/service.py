"""Turning stored Stripe events into paid, expired and refunded orders, and telling people.

Each function works in the caller's transaction. Everything here is safe to run twice: the order's
row lock and `catalog.orders` make each change once, and the confirmation has a client key.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from sqlmodel import Session, col, select

from catalog import money
from catalog import orders as order_service
from catalog.errors import CatalogError
from catalog.models import Order, OrderStatus
from catalog.payments.models import StripeCheckout
from catalog.payments.stripe_checkout import PROVIDER
from catalog.payments.wording import confirmation
from hub.contacts import locales
from hub.contacts import service as contacts
from hub.conversations import actions, outbound
from hub.conversations import service as conversations
from hub.runtime.inbox import RawEvent

log = logging.getLogger(__name__)

PAID = ("checkout.session.completed", "checkout.session.async_payment_succeeded")
EXPIRED = "checkout.session.expired"
REFUNDED = "charge.refunded"
HANDLED = frozenset({*PAID, EXPIRED, REFUNDED})


def handles(event_type: str) -> bool:
    return event_type in HANDLED


def _order_of_session(session: Session, data: dict[str, Any]) -> Order | None:
    """The Hub order a checkout session pays: our stored session first, then its client reference."""
    checkout = session.exec(select(StripeCheckout).where(StripeCheckout.session_id == str(data.get("id")))).first()
    if checkout is not None:
        return session.get(Order, checkout.order_id)
    reference = str(data.get("client_reference_id") or (data.get("metadata") or {}).get("order_id") or "")
    return session.get(Order, int(reference)) if reference.isdigit() else None


def _order_of_payment(session: Session, payment_intent: str) -> Order | None:
    order = order_service.find_by_payment_ref(session=session, payment_ref=payment_intent)
    if order is not None:
        return order
    checkout = session.exec(select(StripeCheckout).where(StripeCheckout.payment_intent == payment_intent)).first()
    return session.get(Order, checkout.order_id) if checkout else None


def _note(session: Session, order: Order, text: str) -> None:
    """A private note for the agents in the order's conversation (nothing reaches the customer)."""
    conversation = (conversations.get(session=session, conversation_id=order.conversation_id)
                    if order.conversation_id else None)
    if conversation is not None:
        actions.add_note(session=session, conversation=conversation, author_id=None, text=text)


def confirm(*, session: Session, order: Order) -> None:
    """Tell the customer, in their conversation and language, that the order is paid; once per order."""
    assert order.id is not None
    conversation = (conversations.get(session=session, conversation_id=order.conversation_id)
                    if order.conversation_id else None)
    if conversation is None:
        return
    contact = contacts.get(session=session, contact_id=order.contact_id)
    locale = locales.for_contact(session, contact, order.channel_id or conversation.channel_id)
    text = confirmation(order, order_service.lines_of(session=session, order_id=order.id), locale)
    try:
        outbound.queue_reply(session=session, conversation=conversation, author_id=None, text=text,
                             payload={"order_id": order.id, "order_number": order.number},
                             client_key=f"order-paid-{order.id}")
    except outbound.ReplyRefused as refused:
        _note(session, order, f"Order {order.number} is paid, but the confirmation could not be sent: {refused}")


def _paid(session: Session, data: dict[str, Any]) -> tuple[str, str | None]:
    if data.get("payment_status") != "paid":
        return "not_paid_yet", None
    order = _order_of_session(session, data)
    if order is None or order.id is None:
        return "no_hub_order", None  # a Payment Link, or a session another system made
    amount, currency = data.get("amount_total"), str(data.get("currency") or "").upper()
    if (amount, currency) != (order.total_minor, order.currency):
        shown = money.display(int(amount or 0), currency, "en") if currency else str(amount)
        _note(session, order, f"Stripe reports a payment of {shown} for order {order.number}, which costs "
                              f"{money.display(order.total_minor, order.currency, 'en')}: it was not marked "
                              "paid. Check it in Stripe's dashboard.")
        return "amount_mismatch", None
    payment_ref = str(data.get("payment_intent") or data.get("id"))
    try:
        payment = order_service.mark_paid(session=session, order_id=order.id, provider=PROVIDER,
                                          payment_ref=payment_ref)
    except CatalogError as error:
        _note(session, order, f"A Stripe payment for order {order.number} could not be recorded: {error}")
        return "refused", None
    checkout = session.exec(select(StripeCheckout).where(StripeCheckout.order_id == order.id)).first()
    if checkout is not None and checkout.session_id == data.get("id"):
        checkout.payment_intent, checkout.status = payment_ref, "complete"
        session.add(checkout)
    if payment.order.payment_ref == payment_ref:
        confirm(session=session, order=payment.order)
    if payment.oversold:
        _note(session, order, f"Order {order.number} was paid after its hold ran out and "
                              f"{', '.join(payment.oversold)} had no stock left: sort it out with the customer.")
    return ("already_paid" if payment.already_paid else "paid"), payment_ref


def _expired(session: Session, data: dict[str, Any]) -> str:
    order = _order_of_session(session, data)
    if order is None or order.id is None:
        return "no_hub_order"
    checkout = session.exec(select(StripeCheckout).where(StripeCheckout.session_id == str(data.get("id")))).first()
    if checkout is not None and checkout.status == "open":
        checkout.status = "expired"
        session.add(checkout)
    return "expired" if order_service.expire(session=session, order_id=order.id) else "not_pending"


def _refunded(session: Session, event: RawEvent, data: dict[str, Any]) -> str:
    payment_intent = str(data.get("payment_intent") or "")
    order = _order_of_payment(session, payment_intent) if payment_intent else None
    if order is None or order.id is None or order.status not in (OrderStatus.paid.value, OrderStatus.refunded.value):
        event.waiting_for = payment_intent or None  # the payment has not been recorded yet: wait for it
        return "waiting"
    currency = str(data.get("currency") or order.currency).upper()
    refunded_minor, charged_minor = int(data.get("amount_refunded") or 0), int(data.get("amount") or 0)
    shown = money.display(refunded_minor, currency, "en")
    if data.get("refunded") is True:
        if order_service.refund(session=session, order_id=order.id, reason=f"stripe charge {data.get('id')}"):
            _note(session, order, f"Stripe refunded {shown} for order {order.number}; the order is now refunded.")
            return "refunded"
        return "already_refunded"
    order_service.record_partial_refund(session=session, order_id=order.id, refunded_minor=refunded_minor,
                                        reason=f"stripe charge {data.get('id')}")
    _note(session, order, f"Stripe refunded {shown} of {money.display(charged_minor, currency, 'en')} for order "
                          f"{order.number} (a partial refund); the order stays paid.")
    return "partly_refunded"


def apply(*, session: Session, event: RawEvent) -> tuple[str, str | None]:
    """Apply one stored event (its type is the row's `endpoint`); (outcome, payment intent now recorded as
    paid, if any)."""
    payload = json.loads(event.body)
    data: dict[str, Any] = payload.get("data", {}).get("object", {})
    if event.endpoint in PAID:
        return _paid(session, data)
    if event.endpoint == EXPIRED:
        return _expired(session, data), None
    if event.endpoint == REFUNDED:
        return _refunded(session, event, data), None
    return "ignored", None


def waiting_on(*, session: Session, payment_intent: str) -> list[int]:
    """Stored events (refunds) that arrived before this payment and wait for it."""
    query = select(RawEvent.id).where(RawEvent.provider == "stripe", RawEvent.waiting_for == payment_intent,
                                      col(RawEvent.processed_at).is_(None)).order_by(col(RawEvent.id))
    return [int(row) for row in session.exec(query) if row is not None]
