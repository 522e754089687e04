"""A paid order for a conversation's contact, placed on a channel (or elsewhere)."""

from __future__ import annotations

from catalog import orders
from catalog import service as catalog
from hub.conversations.models import Conversation
from hub.runtime.db import session_scope, utcnow
from tests.catalog.factories import make_product


def order_for(conversation: Conversation, channel_id: int | None) -> str:
    sku = f"COAT{conversation.id}-M"
    variant_id = make_product(handle=f"coat-{conversation.id}", variants={sku: {"HKD": 12850}})[sku]
    with session_scope() as session:
        cart = catalog.open_cart(session=session, contact_id=conversation.contact_id,
                                 conversation_id=conversation.id if channel_id else None, currency="HKD")
        catalog.add(session=session, cart=cart, variant_id=variant_id, quantity=1)
        order = catalog.checkout(session=session, cart=cart)
        order.channel_id = channel_id
        session.add(order)
        order_id, number = order.id or 0, order.number
    with session_scope() as session:
        orders.mark_paid(session=session, order_id=order_id, provider="sandbox", payment_ref=f"pay-{order_id}",
                         now=utcnow())
    return number
