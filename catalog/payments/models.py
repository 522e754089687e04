"""What Hub keeps about Stripe: the session made for each order, and payment links. (Its signed events are
kept in the raw-event inbox, `hub.runtime.inbox`, under the provider `stripe`.)"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from hub.runtime.db import utcnow


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
