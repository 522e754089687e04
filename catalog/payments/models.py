"""What Hub keeps about Stripe: the session made for each order, raw events, and payment links."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary
from sqlmodel import Field, SQLModel

from hub.db import utcnow


class StripeCheckout(SQLModel, table=True):
    """The one Checkout Session of an order (a real Stripe one, or a sandbox page in development)."""

    __tablename__ = "stripe_checkout"

    id: int | None = Field(default=None, primary_key=True)
    order_id: int = Field(foreign_key="orders.id", unique=True, ondelete="CASCADE")
    session_id: str = Field(max_length=255, unique=True)
    url: str = Field(max_length=2000)
    success_url: str = Field(max_length=2000)
    cancel_url: str = Field(max_length=2000)
    sandbox: bool = Field(default=False)
    payment_intent: str | None = Field(default=None, max_length=255, index=True)
    status: str = Field(default="open", max_length=20)
    expires_at: datetime
    created_at: datetime = Field(default_factory=utcnow)


class StripeEvent(SQLModel, table=True):
    """One signed Stripe event, stored before Hub answers. Unique on Stripe's `evt_…` id.

    `waiting_for` holds a payment intent when the event (a refund) arrived before the payment it
    refers to; it is applied when that payment is recorded.
    """

    __tablename__ = "stripe_event"
    __table_args__ = (Index("ix_stripe_event_unprocessed", "processed_at", "received_at"),)

    id: int | None = Field(default=None, primary_key=True)
    event_id: str = Field(max_length=255, unique=True)
    type: str = Field(max_length=100)
    body: bytes = Field(sa_column=Column(LargeBinary, nullable=False))
    received_at: datetime = Field(default_factory=utcnow)
    processed_at: datetime | None = None
    waiting_for: str | None = Field(default=None, max_length=255, index=True)
    attempts: int = Field(default=0)
    outcome: str | None = Field(default=None, max_length=40)
    error: str | None = Field(default=None, max_length=1000)


class StripePaymentLink(SQLModel, table=True):
    """A reusable Payment Link for one variant at one price; a new price gets a new link."""

    __tablename__ = "stripe_payment_link"

    variant_id: int = Field(foreign_key="variant.id", primary_key=True, ondelete="CASCADE")
    currency: str = Field(max_length=3, primary_key=True)
    amount_minor: int = Field(primary_key=True)
    link_id: str = Field(max_length=255)
    price_id: str = Field(max_length=255)
    url: str = Field(max_length=2000)
    created_at: datetime = Field(default_factory=utcnow)
