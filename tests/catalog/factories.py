"""Catalog rows for tests: products with priced, stocked variants, and customers in a conversation."""

from __future__ import annotations

from dataclasses import dataclass

from catalog import service
from catalog.models import Variant
from hub.contacts.models import Contact
from hub.conversations.models import Conversation
from hub.runtime.db import session_scope
from tests.factories import make_channel

SHIRT_TITLE = {"en": "Silk shirt", "zh_Hant": "絲質襯衫", "ja": "シルクシャツ"}


@dataclass(frozen=True)
class Customer:
    contact_id: int
    conversation_id: int
    channel_id: int


def make_product(handle: str = "silk-shirt", title: dict[str, str] | None = None, *,
                 variants: dict[str, dict[str, int]] | None = None, stock: int = 10) -> dict[str, int]:
    """A product whose variants are {sku: {currency: amount_minor}}; returns {sku: variant id}."""
    chosen = variants or {"SHIRT-M": {"HKD": 12850, "JPY": 2400}}
    with session_scope() as session:
        product = service.create_product(
            session=session, handle=handle, title=title or SHIRT_TITLE,
            variants=[service.VariantInput(sku=sku, options={"size": sku.rsplit("-", 1)[-1]}, stock_on_hand=stock,
                                           prices=prices) for sku, prices in chosen.items()])
        found = service.variants_of(session=session, product_ids=[product.id or 0])[product.id or 0]
        return {v.sku: v.id or 0 for v in found}


def make_customer(name: str = "陳大文", locale: str = "zh_Hant", channel_id: int | None = None,
                  team_id: int | None = None) -> Customer:
    """A contact with one conversation (on a new Telegram channel unless one is given)."""
    if channel_id is None:
        channel_id = make_channel("telegram", f"Shop bot {name}").id or 0
    with session_scope() as session:
        contact = Contact(name=name, locale=locale)
        session.add(contact)
        session.flush()
        conversation = Conversation(contact_id=contact.id or 0, channel_id=channel_id, team_id=team_id)
        session.add(conversation)
        session.flush()
        return Customer(contact.id or 0, conversation.id or 0, channel_id)


def stock_of(variant_id: int) -> tuple[int, int]:
    """(on hand, reserved) as the database has them now."""
    with session_scope() as session:
        variant = session.get(Variant, variant_id)
        assert variant is not None
        return variant.stock_on_hand, variant.stock_reserved


def order_from_cart(customer: Customer, items: dict[int, int], currency: str = "HKD") -> int:
    """Check out a cart of {variant id: quantity}; returns the pending order's id."""
    with session_scope() as session:
        cart = service.open_cart(session=session, contact_id=customer.contact_id,
                                 conversation_id=customer.conversation_id, currency=currency)
        for variant_id, quantity in items.items():
            service.add(session=session, cart=cart, variant_id=variant_id, quantity=quantity)
        return service.checkout(session=session, cart=cart).id or 0
