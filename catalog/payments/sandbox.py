"""Hub's own stand-in for Stripe's hosted checkout page, for development without STRIPE_SECRET_KEY.

Paying sends Hub a `checkout.session.completed` event shaped like Stripe's, signed with the
sandbox webhook secret in Stripe's scheme, to its own `POST /webhooks/stripe` over HTTP: the loop
runs through the real webhook path. Refused in production (`HUB_ENV=production`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass
from html import escape
from typing import Any

import httpx
from fastapi import APIRouter, HTTPException
from fastapi.responses import HTMLResponse, Response
from sqlmodel import select
from starlette.concurrency import run_in_threadpool

from catalog import money
from catalog import orders as order_service
from catalog.models import Order, OrderLine, OrderStatus
from catalog.payments.models import StripeCheckout
from catalog.payments.stripe_checkout import SANDBOX_SESSION_PREFIX, checkout_metadata, webhook_secret
from catalog.payments.wording import language, line_text, say, stripe_locale
from hub.contacts import locales
from hub.contacts import service as contacts
from hub.runtime.db import as_utc, session_scope
from hub.runtime.settings import get_settings

router = APIRouter(prefix="/sandbox/checkout", tags=["sandbox"], include_in_schema=False)

API_VERSION = "2025-06-30.basil"


@dataclass(frozen=True)
class Page:
    checkout: StripeCheckout
    order: Order
    lines: list[OrderLine]
    locale: str | None


def _load(token: str) -> Page:
    if not get_settings().sandbox_allowed:
        raise HTTPException(404, "the sandbox is off in production")
    with session_scope() as session:
        checkout = session.exec(select(StripeCheckout).where(
            StripeCheckout.session_id == f"{SANDBOX_SESSION_PREFIX}{token}", StripeCheckout.sandbox)).first()
        order = session.get(Order, checkout.order_id) if checkout else None
        if checkout is None or order is None or order.id is None:
            raise HTTPException(404, "no such sandbox checkout")
        contact = contacts.get(session=session, contact_id=order.contact_id)
        return Page(checkout, order, order_service.lines_of(session=session, order_id=order.id),
                    locales.for_contact(session, contact, order.channel_id))


_STYLE = ("body{margin:0;background:#f4f5f7;color:#1d2433;font:16px/1.5 system-ui,'Noto Sans CJK JP',"
          "'Noto Sans CJK TC',sans-serif}main{max-width:26rem;margin:2rem auto;padding:1.5rem;background:#fff;"
          "border-radius:12px;box-shadow:0 1px 4px #0002}h1{font-size:1.3rem;margin:0 0 .25rem}"
          "h1+p{color:#8a5a00;background:#fff6df;padding:.4rem .6rem;border-radius:6px;font-size:.9rem}"
          "ul{padding-left:1.1rem}form{display:inline-block;margin:.25rem .5rem 0 0}button{font:inherit;"
          "padding:.55rem 1.1rem;border-radius:8px;border:1px solid #c9ced8;background:#fff;cursor:pointer}"
          "form:first-of-type button{background:#635bff;border-color:#635bff;color:#fff}")
"""A little styling (served from Hub itself, so `style-src 'self'` holds): the test page reads like a checkout."""


def _html(page: Page, body: str) -> HTMLResponse:
    lang = language(page.locale).replace("_", "-")
    title = escape(say(page.locale, "page_title"))
    return HTMLResponse(f'<!doctype html><html lang="{escape(lang)}"><head><meta charset="utf-8">'
                        f'<meta name="viewport" content="width=device-width, initial-scale=1">'
                        f'<title>{title}</title><link rel="icon" href="data:,">'
                        f'<link rel="stylesheet" href="/sandbox/checkout/page.css"></head>'
                        f"<body><main><h1>{title}</h1>"
                        f"<p>{escape(say(page.locale, 'sandbox_notice'))}</p>{body}</main></body></html>")


def _summary(page: Page) -> str:
    items = "".join(f"<li>{escape(line_text(line, page.locale))}</li>" for line in page.lines)
    total = money.display(page.order.total_minor, page.order.currency, page.locale)
    return (f"<h2>{escape(say(page.locale, 'order', number=page.order.number))}</h2><ul>{items}</ul>"
            f"<p><strong>{escape(say(page.locale, 'total', total=total))}</strong></p>")


def _back(page: Page, url: str) -> str:
    return f'<p><a href="{escape(url, quote=True)}">{escape(say(page.locale, "back"))}</a></p>'


@router.get("/page.css")
async def style() -> Response:
    return Response(_STYLE, media_type="text/css", headers={"Cache-Control": "public, max-age=3600"})


@router.get("/{token}", response_class=HTMLResponse)
async def show(token: str) -> HTMLResponse:
    """The order's lines and total in the customer's language, with Pay (test) and Cancel."""
    page = await run_in_threadpool(_load, token)
    if page.order.status != OrderStatus.pending.value:
        return _html(page, _summary(page) + f"<p>{escape(say(page.locale, 'not_open', status=page.order.status))}</p>")
    action = f"/sandbox/checkout/{escape(token, quote=True)}"
    forms = (f'<form method="post" action="{action}/pay"><button type="submit">'
             f'{escape(say(page.locale, "pay"))}</button></form>'
             f'<form method="post" action="{action}/cancel"><button type="submit">'
             f'{escape(say(page.locale, "cancel"))}</button></form>')
    return _html(page, _summary(page) + forms)


@router.post("/{token}/pay", response_class=HTMLResponse)
async def pay(token: str) -> HTMLResponse:
    """Pretend the card went through: Stripe's signed event goes to Hub's own webhook."""
    page = await run_in_threadpool(_load, token)
    if page.order.status != OrderStatus.pending.value:
        return _html(page, f"<p>{escape(say(page.locale, 'not_open', status=page.order.status))}</p>")
    secret = webhook_secret()
    assert secret is not None  # outside production there is always one
    body = json.dumps(completed_event(page), ensure_ascii=False).encode()
    async with httpx.AsyncClient(timeout=10) as client:
        answer = await client.post(f"{get_settings().public_url}/webhooks/stripe", content=body,
                                   headers={"Content-Type": "application/json",
                                            "Stripe-Signature": signature(body, secret)})
    if answer.status_code != 200:
        raise HTTPException(502, f"Hub's webhook refused the sandbox payment ({answer.status_code}): {answer.text}")
    return _html(page, _summary(page) + f"<p>{escape(say(page.locale, 'done'))}</p>"
                 + _back(page, page.checkout.success_url.replace("{CHECKOUT_SESSION_ID}", page.checkout.session_id)))


@router.post("/{token}/cancel", response_class=HTMLResponse)
async def cancel(token: str) -> HTMLResponse:
    """Like Stripe's back link: the session stays open until it expires."""
    page = await run_in_threadpool(_load, token)
    return _html(page, f"<p>{escape(say(page.locale, 'cancelled'))}</p>" + _back(page, page.checkout.cancel_url))


def signature(body: bytes, secret: str, timestamp: int | None = None) -> str:
    """`Stripe-Signature`: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">, as Stripe signs."""
    moment = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{moment}.".encode() + body, hashlib.sha256)
    return f"t={moment},v1={mac.hexdigest()}"


def _sandbox_id(prefix: str, session_id: str) -> str:
    """One id per session: paying twice sends the same event, which Hub stores once."""
    return f"{prefix}_sandbox_{hashlib.sha256(session_id.encode()).hexdigest()[:24]}"


def completed_event(page: Page) -> dict[str, Any]:
    """A `checkout.session.completed` event with the shape of Stripe's (see tests/fixtures/stripe)."""
    checkout, order = page.checkout, page.order
    now = int(time.time())
    session_object = {
        "id": checkout.session_id, "object": "checkout.session",
        "amount_subtotal": order.total_minor, "amount_total": order.total_minor,
        "cancel_url": checkout.cancel_url, "client_reference_id": str(order.id),
        "created": int(as_utc(checkout.created_at).timestamp()), "currency": order.currency.lower(),
        "customer": None, "customer_details": None, "customer_email": None,
        "expires_at": int(as_utc(checkout.expires_at).timestamp()), "livemode": False,
        "locale": stripe_locale(page.locale), "metadata": checkout_metadata(order), "mode": "payment",
        "payment_intent": _sandbox_id("pi", checkout.session_id), "payment_link": None,
        "payment_method_types": ["card"], "payment_status": "paid", "status": "complete",
        "success_url": checkout.success_url,
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted", "url": None,
    }
    return {"id": _sandbox_id("evt", checkout.session_id), "object": "event", "api_version": API_VERSION,
            "created": now, "data": {"object": session_object}, "livemode": False, "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": None}, "type": "checkout.session.completed"}
