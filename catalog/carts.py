"""A customer's cart in a conversation. Amounts always come from the catalog, never from the chat.

The caller commits. Changes to one cart are serialised by locking the cart's row.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from catalog import money
from catalog.errors import CartError, NotFound, OutOfStock
from catalog.models import Cart, CartItem, CartStatus, Product, Variant
from catalog.products import available, price_of, variant_label
from hub.contacts import service as contacts
from hub.conversations import service as conversations
from hub.runtime.db import utcnow

MAX_QUANTITY = 999


@dataclass(frozen=True)
class CartLine:
    variant_id: int
    product_id: int
    sku: str
    title: str
    options: dict[str, str]
    image_url: str | None
    quantity: int
    unit_minor: int
    line_minor: int


@dataclass(frozen=True)
class CartView:
    """A cart as the customer sees it, priced from the catalog in the cart's currency."""

    cart_id: int
    currency: str
    locale: str
    lines: tuple[CartLine, ...]
    total_minor: int

    def display(self, amount_minor: int) -> str:
        return money.display(amount_minor, self.currency, self.locale)


def _open_query(contact_id: int, conversation_id: int | None) -> SelectOfScalar[Cart]:
    query = select(Cart).where(Cart.contact_id == contact_id, Cart.status == CartStatus.open.value)
    if conversation_id is None:
        return query.where(col(Cart.conversation_id).is_(None))
    return query.where(Cart.conversation_id == conversation_id)


def open_cart(*, session: Session, contact_id: int, conversation_id: int | None, currency: str) -> Cart:
    """The contact's open cart in this conversation, or a new one. An empty cart may change currency."""
    code = money.currency_code(currency)
    if contacts.get(session=session, contact_id=contact_id) is None:
        raise NotFound(f"there is no contact {contact_id}")
    if conversation_id is not None:
        conversation = conversations.get(session=session, conversation_id=conversation_id)
        if conversation is None or conversation.contact_id != contact_id:
            raise CartError(f"conversation {conversation_id} is not one of contact {contact_id}'s")
    cart = session.exec(_open_query(contact_id, conversation_id)).first()
    if cart is None:
        try:
            with session.begin_nested():  # a partial unique index allows one open cart; a racer may win
                cart = Cart(contact_id=contact_id, conversation_id=conversation_id, currency=code)
                session.add(cart)
                session.flush()
            return cart
        except IntegrityError:
            cart = session.exec(_open_query(contact_id, conversation_id)).one()
    if cart.currency != code:
        cart = _lock_open(session, cart.id or 0)
        if _items(session, cart.id or 0):
            raise CartError(f"the open cart is in {cart.currency}; empty it before paying in {code}")
        cart.currency = code
        cart.updated_at = utcnow()
        session.add(cart)
        session.flush()
    return cart


def get_cart(*, session: Session, cart_id: int) -> Cart | None:
    return session.get(Cart, cart_id)


def _lock_open(session: Session, cart_id: int) -> Cart:
    cart = session.get(Cart, cart_id, with_for_update=True, populate_existing=True)
    if cart is None:
        raise NotFound(f"there is no cart {cart_id}")
    if cart.status != CartStatus.open.value:
        raise CartError(f"cart {cart_id} is {cart.status.replace('_', ' ')}: open a new one")
    return cart


def _items(session: Session, cart_id: int) -> list[CartItem]:
    return list(session.exec(select(CartItem).where(CartItem.cart_id == cart_id).order_by(col(CartItem.variant_id))))


def _sellable(session: Session, cart: Cart, variant_id: int, quantity: int) -> Variant:
    variant = session.get(Variant, variant_id, populate_existing=True)
    product = session.get(Product, variant.product_id) if variant else None
    if variant is None or product is None:
        raise NotFound(f"there is no variant {variant_id}")
    if not product.active:
        raise CartError(f"{variant.sku} is not on sale")
    if quantity > MAX_QUANTITY:
        raise CartError(f"at most {MAX_QUANTITY} of one item fit in a cart")
    price_of(session=session, variant=variant, currency=cart.currency)  # refuses an item without a price
    if quantity > available(variant):
        raise OutOfStock(variant.sku, quantity, available(variant))
    return variant


def add(*, session: Session, cart: Cart, variant_id: int, quantity: int = 1) -> CartItem:
    """Put `quantity` more of a variant in the cart."""
    if quantity <= 0:
        raise CartError("add at least one")
    locked = _lock_open(session, cart.id or 0)
    item = session.get(CartItem, (locked.id, variant_id))
    total = quantity + (item.quantity if item else 0)
    _sellable(session, locked, variant_id, total)
    if item is None:
        item = CartItem(cart_id=locked.id or 0, variant_id=variant_id, quantity=total)
    item.quantity = total
    locked.updated_at = utcnow()
    session.add_all([item, locked])
    session.flush()
    return item


def set_quantity(*, session: Session, cart: Cart, variant_id: int, quantity: int) -> CartItem | None:
    """Set how many of a variant the cart holds; 0 takes it out (and returns None)."""
    if quantity < 0:
        raise CartError("a quantity cannot be negative")
    locked = _lock_open(session, cart.id or 0)
    item = session.get(CartItem, (locked.id, variant_id))
    locked.updated_at = utcnow()
    session.add(locked)
    if quantity == 0:
        if item is not None:
            session.delete(item)
        session.flush()
        return None
    _sellable(session, locked, variant_id, quantity)
    if item is None:
        item = CartItem(cart_id=locked.id or 0, variant_id=variant_id, quantity=quantity)
    item.quantity = quantity
    session.add(item)
    session.flush()
    return item


def close(*, session: Session, cart: Cart) -> None:
    """Abandon an open cart (a checked-out one stays as it is)."""
    locked = session.get(Cart, cart.id, with_for_update=True, populate_existing=True)
    if locked is not None and locked.status == CartStatus.open.value:
        locked.status = CartStatus.closed.value
        locked.updated_at = utcnow()
        session.add(locked)
        session.flush()


def view(*, session: Session, cart: Cart, locale: str | None = "en") -> CartView:
    """The cart's lines with titles in `locale`, unit and line amounts and the total, from the catalog."""
    assert cart.id is not None
    lines: list[CartLine] = []
    for item in _items(session, cart.id):
        variant = session.get(Variant, item.variant_id)
        product = session.get(Product, variant.product_id) if variant else None
        if variant is None or product is None:
            continue
        unit = price_of(session=session, variant=variant, currency=cart.currency)
        lines.append(CartLine(
            variant_id=item.variant_id, product_id=product.id or 0, sku=variant.sku,
            title=variant_label(product, variant, locale), options=dict(variant.options),
            image_url=variant.image_url or product.image_url, quantity=item.quantity, unit_minor=unit,
            line_minor=unit * item.quantity))
    return CartView(cart_id=cart.id, currency=cart.currency, locale=locale or "en", lines=tuple(lines),
                    total_minor=sum(line.line_minor for line in lines))

