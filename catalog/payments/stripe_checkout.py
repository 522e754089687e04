"""Checkout Sessions and Payment Links through Stripe's API; a sandbox page when there is no key.

Amounts always come from the server-side order (or the catalog's price), never from chat text:
Stripe's `unit_amount` is the order line's minor-unit amount as stored (¥4800 → 4800, HK$296.00 → 29600).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

import stripe
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from catalog import money
from catalog import orders as order_service
from catalog.errors import CatalogError, NotFound, OrderError
from catalog.models import Order, OrderEvent, OrderStatus, Product, Variant
from catalog.payments.models import StripeCheckout, StripePaymentLink
from catalog.payments.wording import stripe_locale
from catalog.products import price_of, variant_label
from channels.netguard import BlockedDestination, check_destination_sync
from hub.contacts import locales
from hub.contacts import service as contacts
from hub.runtime.db import as_utc, utcnow
from hub.runtime.settings import get_settings

PROVIDER = "stripe"
CHECKOUT_LIFETIME = timedelta(hours=1)
"""A session lives an hour from the order's checkout (Stripe allows 30 minutes to 24 hours)."""
STRIPE_MIN_LIFETIME = timedelta(minutes=31)
SANDBOX_SESSION_PREFIX = "cs_sandbox_"


class PaymentError(CatalogError):
    """A payment could not be set up (Stripe refused, no key, the order's hold ran out)."""


@dataclass(frozen=True)
class CheckoutLink:
    order_id: int
    session_id: str
    url: str
    expires_at: datetime
    sandbox: bool


def client() -> stripe.StripeClient | None:
    """A Stripe client aimed at STRIPE_API_BASE, or None when STRIPE_SECRET_KEY is unset (sandbox)."""
    settings = get_settings()
    if not settings.stripe_secret_key:
        return None
    try:  # the SDK sends the secret key to this address: a public one only, unless private ones are allowed
        check_destination_sync(settings.stripe_api_base, allow_private=settings.allow_private_urls)
    except BlockedDestination as error:
        raise PaymentError(f"STRIPE_API_BASE is refused: {error} (HUB_ALLOW_PRIVATE_URLS allows it outside "
                           "production)") from None
    return stripe.StripeClient(settings.stripe_secret_key, base_addresses={"api": settings.stripe_api_base},
                               max_network_retries=2)


def webhook_secret() -> str | None:
    """STRIPE_WEBHOOK_SECRET; outside production without one, the sandbox's secret derived from Hub's key."""
    settings = get_settings()
    if settings.stripe_webhook_secret:
        return settings.stripe_webhook_secret
    if not settings.sandbox_allowed:
        return None
    digest = hmac.new(settings.resolved_secret_key().encode(), b"stripe-sandbox-webhook", hashlib.sha256)
    return f"whsec_sandbox_{digest.hexdigest()[:32]}"


def _link(row: StripeCheckout) -> CheckoutLink:
    return CheckoutLink(order_id=row.order_id, session_id=row.session_id, url=row.url,
                        expires_at=as_utc(row.expires_at), sandbox=row.sandbox)


def _existing(session: Session, order_id: int) -> StripeCheckout | None:
    return session.exec(select(StripeCheckout).where(StripeCheckout.order_id == order_id)).first()


def session_expiry(order: Order, now: datetime) -> datetime:
    """When the order's session expires: an hour after checkout, never past the order's own hold.

    Fixed by the order, not the clock, so a retried request sends Stripe the same parameters under
    the same idempotency key. Refused when Stripe's 30-minute minimum can no longer be met.
    """
    created = as_utc(order.created_at)
    wanted = created + CHECKOUT_LIFETIME
    if order.expires_at is not None:
        wanted = max(wanted, as_utc(order.expires_at))
    wanted = min(wanted, created + timedelta(hours=23))
    if wanted < now + STRIPE_MIN_LIFETIME:
        raise PaymentError(f"order {order.number} was checked out too long ago to pay now; check out again")
    return wanted


def checkout_metadata(order: Order) -> dict[str, str]:
    """What Stripe echoes back on the session's events (values are always strings there)."""
    values = {"order_id": order.id, "order_number": order.number, "conversation_id": order.conversation_id,
              "agent_id": order.agent_id, "campaign_id": order.campaign_id}
    return {key: str(value) for key, value in values.items() if value is not None}


def create_checkout(*, session: Session, order_id: int, success_url: str, cancel_url: str,
                    now: datetime | None = None) -> CheckoutLink:
    """The order's Checkout Session: created once (one idempotency key per order), then reused.

    With no STRIPE_SECRET_KEY (development) the link opens Hub's sandbox checkout page instead.
    The caller commits.
    """
    now = now or utcnow()
    found = _existing(session, order_id)
    if found is not None:
        return _link(found)
    order = session.get(Order, order_id, with_for_update=True, populate_existing=True)
    if order is None:
        raise NotFound(f"there is no order {order_id}")
    if order.status != OrderStatus.pending.value:
        raise OrderError(f"order {order.number} is {order.status}: only a pending order can be paid")
    found = _existing(session, order_id)  # a racer may have made it while we waited for the lock
    if found is not None:
        return _link(found)
    expires_at = session_expiry(order, now)
    stripe_client = client()
    if stripe_client is None:
        row = _sandbox_checkout(order, expires_at, success_url, cancel_url)
    else:
        row = _stripe_checkout(stripe_client, session, order, expires_at, success_url, cancel_url)
    session.add(row)
    session.add(OrderEvent(order_id=order_id, kind="checkout_link",
                           detail={"provider": PROVIDER, "session_id": row.session_id, "sandbox": row.sandbox}))
    session.flush()
    return _link(row)


def _sandbox_checkout(order: Order, expires_at: datetime, success_url: str, cancel_url: str) -> StripeCheckout:
    settings = get_settings()
    if not settings.sandbox_allowed:
        raise PaymentError("STRIPE_SECRET_KEY is not set: payments are off (the sandbox is refused in production)")
    token = secrets.token_urlsafe(24)
    return StripeCheckout(order_id=order.id or 0, session_id=f"{SANDBOX_SESSION_PREFIX}{token}",
                          url=f"{settings.public_url}/sandbox/checkout/{token}", success_url=success_url,
                          cancel_url=cancel_url, sandbox=True, expires_at=expires_at)


def _stripe_checkout(stripe_client: stripe.StripeClient, session: Session, order: Order, expires_at: datetime,
                     success_url: str, cancel_url: str) -> StripeCheckout:
    assert order.id is not None
    contact = contacts.get(session=session, contact_id=order.contact_id)
    metadata = checkout_metadata(order)
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {"price_data": {"currency": line.currency.lower(), "unit_amount": line.unit_minor,
                            "product_data": {"name": line.title, "metadata": {"sku": line.sku}}},
             "quantity": line.quantity}
            for line in order_service.lines_of(session=session, order_id=order.id)
        ],
        "metadata": metadata,
        "payment_intent_data": {"metadata": metadata},
        "client_reference_id": str(order.id),
        "expires_at": int(expires_at.timestamp()),
        "success_url": success_url,
        "cancel_url": cancel_url,
        "locale": stripe_locale(locales.for_contact(session, contact, order.channel_id)),
    }
    try:
        created = stripe_client.v1.checkout.sessions.create(
            cast(Any, params), options={"idempotency_key": f"hub-order-{order.id}-checkout"})
    except stripe.StripeError as error:
        raise PaymentError(f"Stripe refused the checkout for order {order.number}: "
                           f"{error.user_message or error}") from None
    if not created.url:
        raise PaymentError(f"Stripe answered without a checkout URL for order {order.number}")
    return StripeCheckout(order_id=order.id, session_id=created.id, url=created.url, success_url=success_url,
                          cancel_url=cancel_url, expires_at=expires_at)


def payment_link_for(*, session: Session, variant_id: int, currency: str) -> str:
    """A reusable Stripe Payment Link for one unit of a variant at its catalog price in `currency`.

    A Payment Link is not tied to a Hub order: paying it creates none (see `jobs`). The caller commits.
    """
    code = money.currency_code(currency)
    variant = session.get(Variant, variant_id)
    product = session.get(Product, variant.product_id) if variant else None
    if variant is None or product is None:
        raise NotFound(f"there is no variant {variant_id}")
    amount = price_of(session=session, variant=variant, currency=code)
    found = session.get(StripePaymentLink, (variant_id, code, amount))
    if found is not None:
        return found.url
    stripe_client = client()
    if stripe_client is None:
        raise PaymentError("Payment Links need STRIPE_SECRET_KEY; without it send a checkout for an order")
    key = f"hub-variant-{variant_id}-{code}-{amount}"
    try:
        price = stripe_client.v1.prices.create(
            {"currency": code.lower(), "unit_amount": amount,
             "product_data": {"name": variant_label(product, variant, "en"), "metadata": {"sku": variant.sku}}},
            options={"idempotency_key": f"{key}-price"})
        link = stripe_client.v1.payment_links.create(
            {"line_items": [{"price": price.id, "quantity": 1}],
             "metadata": {"variant_id": str(variant_id), "sku": variant.sku}},
            options={"idempotency_key": f"{key}-link"})
    except stripe.StripeError as error:
        raise PaymentError(f"Stripe refused a payment link for {variant.sku}: {error.user_message or error}") from None
    row = StripePaymentLink(variant_id=variant_id, currency=code, amount_minor=amount, link_id=link.id,
                            price_id=price.id, url=link.url)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:  # made at the same moment by another request: same key, same link
        pass
    return link.url
