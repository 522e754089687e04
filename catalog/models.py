"""Products with variants, prices per currency and stock; carts; orders with their timeline.

Money is always an integer in the currency's minor unit (see `catalog.money`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import CheckConstraint, Column, Index, Text, text
from sqlmodel import Field, SQLModel

from hub.runtime.db import utcnow
from hub.types import JsonType


class CartStatus(StrEnum):
    open = "open"
    checked_out = "checked_out"
    closed = "closed"


class OrderStatus(StrEnum):
    pending = "pending"
    paid = "paid"
    expired = "expired"
    cancelled = "cancelled"
    refunded = "refunded"


class Product(SQLModel, table=True):
    """A thing the shop sells. `title` and `description` map a locale ("en", "zh_Hant", "ja") to text."""

    __tablename__ = "product"

    id: int | None = Field(default=None, primary_key=True)
    handle: str = Field(max_length=200, unique=True)
    title: dict[str, str] = Field(default_factory=dict, sa_column=Column(JsonType, nullable=False))
    description: dict[str, str] = Field(default_factory=dict, sa_column=Column(JsonType, nullable=False))
    image_url: str | None = Field(default=None, max_length=2000)
    active: bool = Field(default=True)
    search_text: str = Field(default="", sa_column=Column(Text, nullable=False))
    """Handle and every title, casefolded: one column to search in any language on any database."""
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Variant(SQLModel, table=True):
    """One buyable version of a product (a size and colour), with its own SKU and stock.

    `stock_reserved` is held by pending orders; what can still be sold is on hand minus reserved.
    """

    __tablename__ = "variant"
    __table_args__ = (
        CheckConstraint("stock_on_hand >= 0", name="ck_variant_on_hand_not_negative"),
        CheckConstraint("stock_reserved >= 0", name="ck_variant_reserved_not_negative"),
        CheckConstraint("stock_reserved <= stock_on_hand", name="ck_variant_reserved_within_on_hand"),
    )

    id: int | None = Field(default=None, primary_key=True)
    product_id: int = Field(foreign_key="product.id", index=True, ondelete="CASCADE")
    sku: str = Field(max_length=100, unique=True)
    options: dict[str, str] = Field(default_factory=dict, sa_column=Column(JsonType, nullable=False))
    image_url: str | None = Field(default=None, max_length=2000)
    stock_on_hand: int = Field(default=0)
    stock_reserved: int = Field(default=0)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class Price(SQLModel, table=True):
    """A variant's price in one currency (ISO 4217, upper case), in that currency's minor unit."""

    __tablename__ = "price"
    __table_args__ = (CheckConstraint("amount_minor >= 0", name="ck_price_not_negative"),)

    variant_id: int = Field(foreign_key="variant.id", primary_key=True, ondelete="CASCADE")
    currency: str = Field(max_length=3, primary_key=True)
    amount_minor: int


class Cart(SQLModel, table=True):
    """A customer's basket in one conversation; at most one open cart per contact and conversation."""

    __tablename__ = "cart"
    __table_args__ = (
        Index("uq_cart_open_per_conversation", "contact_id", "conversation_id", unique=True,
              sqlite_where=text("status = 'open'"), postgresql_where=text("status = 'open'")),
        Index("uq_cart_open_without_conversation", "contact_id", unique=True,
              sqlite_where=text("status = 'open' AND conversation_id IS NULL"),
              postgresql_where=text("status = 'open' AND conversation_id IS NULL")),
    )

    id: int | None = Field(default=None, primary_key=True)
    contact_id: int = Field(foreign_key="contact.id", index=True, ondelete="CASCADE")
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id", ondelete="CASCADE")
    currency: str = Field(max_length=3)
    status: str = Field(default=CartStatus.open.value, max_length=20)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class CartItem(SQLModel, table=True):
    __tablename__ = "cart_item"
    __table_args__ = (CheckConstraint("quantity > 0", name="ck_cart_item_quantity_positive"),)

    cart_id: int = Field(foreign_key="cart.id", primary_key=True, ondelete="CASCADE")
    variant_id: int = Field(foreign_key="variant.id", primary_key=True, index=True, ondelete="CASCADE")
    quantity: int


class Order(SQLModel, table=True):
    """What a customer committed to buy, at the prices of that moment, and how it was paid.

    Orders are bookkeeping: deleting a contact who has orders is refused (erasure anonymises instead).
    """

    __tablename__ = "orders"
    __table_args__ = (
        Index("ix_orders_contact_created", "contact_id", "created_at"),
        Index("ix_orders_status_expires", "status", "expires_at"),
        # Covering for the lifecycle report: every contact's orders read in contact order from the index alone.
        Index("ix_orders_contact_paid", "contact_id", "paid_at", "status", "refunded_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=20, unique=True)
    contact_id: int = Field(foreign_key="contact.id")
    conversation_id: int | None = Field(default=None, foreign_key="conversation.id", ondelete="SET NULL")
    channel_id: int | None = Field(default=None, foreign_key="channel.id", ondelete="SET NULL")
    agent_id: int | None = Field(default=None, foreign_key="users.id", ondelete="SET NULL")
    campaign_id: int | None = None
    store_id: int | None = None
    """The store of a till (POS) sale; None for an order made online (no foreign key: a closed store keeps its
    sales)."""
    flow_id: int | None = None
    """The journey whose message the customer had in the attribution window at checkout (no foreign key:
    flows sits above catalog, and a deleted journey keeps its sales)."""
    currency: str = Field(max_length=3)
    total_minor: int
    status: str = Field(default=OrderStatus.pending.value, max_length=20)
    payment_provider: str | None = Field(default=None, max_length=40)
    payment_ref: str | None = Field(default=None, max_length=255, unique=True)
    created_at: datetime = Field(default_factory=utcnow)
    paid_at: datetime | None = None
    refunded_at: datetime | None = None
    """When a refunded order was refunded (None on any other; also on one refunded before this was kept, with no
    "refunded" event to copy it from)."""
    expires_at: datetime | None = None


class OrderLine(SQLModel, table=True):
    """One line of an order; SKU, title and price are copied so the order reads the same forever."""

    __tablename__ = "order_line"
    __table_args__ = (CheckConstraint("quantity > 0", name="ck_order_line_quantity_positive"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", index=True, ondelete="CASCADE")
    variant_id: int | None = Field(default=None, foreign_key="variant.id", ondelete="SET NULL")
    sku: str = Field(max_length=100)
    title: str = Field(max_length=500)
    quantity: int
    unit_minor: int
    currency: str = Field(max_length=3)


class OrderEvent(SQLModel, table=True):
    """One step of an order's status timeline: created, paid, expired, oversold, refunded…"""

    __tablename__ = "order_event"
    __table_args__ = (Index("ix_order_event_order", "order_id", "id"),)

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", ondelete="CASCADE")
    kind: str = Field(max_length=40)
    detail: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JsonType, nullable=False))
    created_at: datetime = Field(default_factory=utcnow)
