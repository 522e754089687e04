"""Shopify's `orders/paid` and `refunds/create` webhooks become orders of the matching contact, so purchases in
the online store count like those paid in the chat.

`POST /webhooks/shopify/{store_id}`: the body's HMAC-SHA256 with the store's webhook secret, in base64, must
equal `X-Shopify-Hmac-Sha256` (else 403). The raw body is committed to the raw-event inbox (provider
`shopify`, unique on `X-Shopify-Webhook-Id`) before the 2xx; a job then records the order, paid, for the
contact whose phone or email the order names (made if Hub does not know them yet), or marks it refunded.
Admins register stores with `POST /api/v1/shopify-stores` (the secret is Shopify's app client secret).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlmodel import Field as Column
from sqlmodel import Session, SQLModel, col, select
from starlette.concurrency import run_in_threadpool

from catalog import money, orders
from catalog.errors import OrderError
from hub.api.deps import AdminUser, DbSession
from hub.audit import service as audit
from hub.channel_records.sealing import PREFIX, cipher
from hub.contacts import service as contacts
from hub.contacts.identities import StoredIdentity
from hub.runtime import broker, inbox
from hub.runtime.db import session_scope, utcnow
from hub.runtime.inbox import RawEvent
from hub.runtime.record import Inbox

log = logging.getLogger(__name__)

PROVIDER = "shopify"
TOPICS = ("orders/paid", "refunds/create")
MAX_BODY = 1024 * 1024
PHONE_IDENTITY = "whatsapp"
"""A Shopify customer's phone is matched to (or starts) a contact as a WhatsApp number, the shops' main channel."""

router = APIRouter(tags=["shopify"])


class ShopifyStore(SQLModel, table=True):
    __tablename__ = "shopify_store"

    id: int | None = Column(default=None, primary_key=True)
    name: str = Column(max_length=100)
    shop_domain: str = Column(max_length=255)
    secret: str = Column(max_length=500)
    """The webhook signing secret, sealed at rest like channel secrets."""
    created_at: datetime = Column(default_factory=utcnow)


class StoreIn(BaseModel):
    name: str = Field(min_length=1, max_length=100, examples=["Online store"])
    shop_domain: str = Field(min_length=3, max_length=255, examples=["my-shop.myshopify.com"])
    secret: str = Field(min_length=8, max_length=300, description="the app's client secret Shopify signs with")


class StoreOut(BaseModel):
    id: int
    name: str
    shop_domain: str
    webhook_url: str = Field(description="where Shopify posts orders/paid and refunds/create")
    created_at: datetime


def _store_out(row: ShopifyStore) -> StoreOut:
    from hub.runtime.settings import get_settings

    return StoreOut(id=row.id or 0, name=row.name, shop_domain=row.shop_domain, created_at=row.created_at,
                    webhook_url=f"{get_settings().public_url}/webhooks/shopify/{row.id}")


@router.post("/api/v1/shopify-stores", response_model=StoreOut, status_code=201)
def add_store(body: StoreIn, session: DbSession, user: AdminUser) -> StoreOut:
    """Register a Shopify store; its secret is never returned."""
    row = ShopifyStore(name=body.name, shop_domain=body.shop_domain.strip().lower(),
                       secret=PREFIX + cipher().encrypt(body.secret.encode()).decode())
    session.add(row)
    session.flush()
    audit.record(session=session, actor_id=user.id, action="shopify_store.created", target_type="shopify_store",
                 target_id=row.id, details={"shop_domain": row.shop_domain})
    session.commit()
    return _store_out(row)


@router.get("/api/v1/shopify-stores", response_model=list[StoreOut])
def list_stores(session: DbSession, user: AdminUser) -> list[StoreOut]:
    return [_store_out(row) for row in session.exec(select(ShopifyStore).order_by(col(ShopifyStore.id)))]


def _secret_of(store_id: int) -> str | None:
    with session_scope() as session:
        row = session.get(ShopifyStore, store_id)
        if row is None:
            return None
        return cipher().decrypt(row.secret.removeprefix(PREFIX).encode()).decode()


def signature_ok(body: bytes, secret: str, header: str | None) -> bool:
    digest = base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()
    return bool(header) and hmac.compare_digest(digest, header or "")


def _store_event(store_id: int, event_id: str, topic: str, body: bytes) -> tuple[int, bool]:
    with session_scope() as session:
        return inbox.store(session, provider=PROVIDER, channel_id=store_id, event_id=event_id, endpoint=topic,
                           body=body)


@router.post("/webhooks/shopify/{channel_or_store_id}", summary="Shopify order webhooks (HMAC-signed)",
             responses={403: {"description": "unknown store or bad X-Shopify-Hmac-Sha256"}})
async def receive(channel_or_store_id: Annotated[int, Path(ge=1)], request: Request) -> JSONResponse:
    """`orders/paid` and `refunds/create`: 200 once stored (other topics: 200, ignored); 403 if unsigned."""
    body = await request.body()
    if len(body) > MAX_BODY:
        return JSONResponse({"detail": "the body is larger than 1 MiB"}, status_code=413)
    secret = await run_in_threadpool(_secret_of, channel_or_store_id)
    if secret is None or not signature_ok(body, secret, request.headers.get("x-shopify-hmac-sha256")):
        return JSONResponse({"detail": "signature check failed"}, status_code=403)
    topic = request.headers.get("x-shopify-topic", "")
    if topic not in TOPICS:
        return JSONResponse({"received": True, "ignored": True})
    event_id = request.headers.get("x-shopify-webhook-id") or request.headers.get("x-shopify-event-id") or ""
    if not event_id:
        event_id = "sha256:" + hashlib.sha256(body).hexdigest()
    try:
        row_id, pending = await run_in_threadpool(_store_event, channel_or_store_id, event_id[:200], topic, body)
    except Exception:
        log.exception("could not store a Shopify event")
        return JSONResponse({"detail": "the event could not be stored; retry later"}, status_code=503)
    if pending:
        await run_in_threadpool(enqueue, row_id)
    return JSONResponse({"received": True})


def enqueue(event_row_id: int) -> None:
    broker.enqueue("inbound", process_event, event_row_id)


def enqueue_all(event_row_ids: list[int]) -> None:
    for event_row_id in event_row_ids:
        enqueue(event_row_id)


INBOX = Inbox(wake=enqueue_all)


def process_event(event_row_id: int) -> str:
    """Job: turn one stored Shopify event into an order change; safe to run twice."""
    with session_scope() as session:
        event = session.get(RawEvent, event_row_id, with_for_update=True, populate_existing=True)
        if event is None or event.provider != PROVIDER or event.processed_at is not None:
            return "done"
        try:
            data = json.loads(event.body)
            outcome = (_paid(session, event.channel_id, data) if event.endpoint == "orders/paid"
                       else _refunded(session, event.channel_id, data))
        except (ValueError, KeyError, TypeError, money.MoneyError, OrderError) as error:
            outcome = "refused"
            event.error = f"{type(error).__name__}: {error}"[:1000]
        event.outcome, event.processed_at, event.attempts = outcome, utcnow(), event.attempts + 1
        session.add(event)
    return outcome


def _ref(store_id: int, order_id: object) -> str:
    return f"shopify:{store_id}:{order_id}"


def _minor(raw: object, currency: str) -> int:
    try:
        return money.to_minor(Decimal(str(raw)), currency)
    except InvalidOperation:
        raise money.MoneyError(f"{raw!r} is not an amount") from None


def _customer(data: dict[str, Any]) -> tuple[list[StoredIdentity], str | None]:
    customer = data.get("customer") or {}
    address = data.get("billing_address") or data.get("shipping_address") or {}
    found: list[StoredIdentity] = []
    for raw in (data.get("phone"), customer.get("phone"), address.get("phone")):
        if raw:
            try:
                phone = contacts.normalize_phone(str(raw))
            except contacts.InvalidPhone:
                continue
            found.append(StoredIdentity(kind=PHONE_IDENTITY, value=phone, phone=phone))
            break
    email = str(data.get("email") or customer.get("email") or "").strip().lower()
    if email:
        found.append(StoredIdentity(kind="email", value=email))
    name = " ".join(filter(None, (customer.get("first_name"), customer.get("last_name")))) or None
    return found, name


def _paid(session: Session, store_id: int, data: dict[str, Any]) -> str:
    identities, name = _customer(data)
    if not identities:
        return "no_customer"
    currency = money.currency_code(str(data.get("currency") or ""))  # everything is read before any write
    lines = [orders.ExternalLine(sku=str(item.get("sku") or item.get("variant_id") or ""),
                                 title=str(item.get("title") or item.get("name") or ""),
                                 quantity=int(item.get("quantity") or 0), unit_minor=_minor(item["price"], currency))
             for item in data.get("line_items") or []]
    total, ref = _minor(data["total_price"], currency), _ref(store_id, data["id"])
    contact = contacts.resolve(session=session, identities=identities, profile_name=name)
    _order, made = orders.record_paid_elsewhere(session=session, contact_id=contact.id or 0, currency=currency,
                                                total_minor=total, lines=lines, provider=PROVIDER, payment_ref=ref)
    return "recorded" if made else "duplicate"


def _refunded(session: Session, store_id: int, data: dict[str, Any]) -> str:
    order = orders.find_by_payment_ref(session=session, payment_ref=_ref(store_id, data["order_id"]))
    if order is None or order.id is None:
        return "unknown_order"
    return "refunded" if orders.refund(session=session, order_id=order.id, reason=str(data.get("note") or "")
                                       ) else "duplicate"
