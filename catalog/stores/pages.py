"""Two pages: the redemption page at a store's till (`/store`, store staff and admins), and the customer's coupon
page (`/c/{code}/{signature}`, public: the signature makes its address unguessable) with the code and its QR
code, phone-sized and in the customer's language. The customer's page runs no script; every value is escaped."""

from __future__ import annotations

from html import escape
from typing import Annotated

import segno
from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from catalog.product_page import page_locale
from catalog.stores import coupons
from catalog.stores import service as stores
from catalog.stores.models import CouponState
from hub.agents import service as agents
from hub.agents.models import Role
from hub.api.deps import DbSession
from hub.contacts import locales
from hub.contacts import service as contacts
from hub.runtime.db import session_scope
from hub.web import i18n, render

router = APIRouter(include_in_schema=False)
CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"

WORDS = {
    "en": {"title": "Your coupon", "show": "Show this code at the till.", "code": "Code",
           "until": "Valid until {when} (UTC)", "issued": "Valid", "redeemed": "Already used",
           "expired": "Expired"},
    "zh_Hant": {"title": "你的優惠券", "show": "結帳時請出示此代碼。", "code": "代碼",
                "until": "有效期至 {when}（UTC）", "issued": "有效", "redeemed": "已使用", "expired": "已過期"},
    "ja": {"title": "クーポン", "show": "レジでこのコードをお見せください。", "code": "コード",
           "until": "有効期限 {when}（UTC）", "issued": "有効", "redeemed": "使用済み", "expired": "期限切れ"},
}
"""What the customer's page says, in the customer's language."""


@router.get("/store")
def desk(request: Request, session: DbSession) -> Response:
    """The redemption page: store staff's only page (admins may open it too)."""
    user = render.anyone_signed_in(request, session)
    if user is None:
        return render.to_login(request)
    if user.role not in (Role.store, Role.admin):
        _ = i18n.gettext_for(user.locale).gettext
        return render.error_page(request, locale=user.locale, status=403, title=_("Not allowed"),
                                 detail=_("Only store staff and admins redeem coupons."))
    mine = stores.visible(session=session, is_admin=user.role == Role.admin, user_id=user.id or 0)
    mine = [store for store in mine if store.active]
    code = coupons.normalize(request.query_params.get("code", ""))
    return render.page(request, "store_desk.html", locale=user.locale, user=user, stores=mine,
                       boot={"user_id": user.id, "code": code})


@router.get("/admin/stores")
def admin_stores(request: Request, session: DbSession) -> Response:
    """The stores (admins): add a store, choose who works there, open or close it."""
    user = render.admin(request, session)
    if isinstance(user, Response):
        return user
    clerks = [{"id": u.id, "name": u.name or u.email} for u in agents.active_with_role(session=session, role="store")]
    return render.page(request, "admin_stores.html", locale=user.locale, user=user,
                       boot={"user_id": user.id, "clerks": clerks})


def _coupon_page(code: str, signature: str, accept_language: str | None) -> str:
    if not coupons.signature_ok(code, signature):
        raise HTTPException(404, "no such coupon")
    with session_scope() as session:
        coupon = coupons.find(session=session, code=code)
        if coupon is None:
            raise HTTPException(404, "no such coupon")
        contact = contacts.get(session=session, contact_id=coupon.contact_id)
        locale = locales.for_contact(session, contact) if contact else page_locale(accept_language)
        state, offer, expires = coupons.state_of(coupon), coupon.offer, coupon.expires_at
        shown = coupon.code
    words = WORDS.get(locale, WORDS["en"])
    qr = segno.make(shown, error="m").svg_inline(scale=8, border=2) if state == CouponState.issued else ""
    parts = [f"<h1>{escape(words['title'])}</h1>"]
    if offer:
        parts.append(f'<p class="offer">{escape(offer)}</p>')
    parts.append(f'<p class="state {escape(state.value)}">{escape(words[state.value])}</p>')
    if qr:
        parts.append(f'<div class="qr" role="img" aria-label="{escape(words["code"])}: {escape(shown)}">{qr}</div>')
        parts.append(f"<p>{escape(words['show'])}</p>")
    parts.append(f'<p class="code">{escape(words["code"])}: <strong>{escape(shown)}</strong></p>')
    if expires is not None and state == CouponState.issued:
        parts.append(f"<p>{escape(words['until'].format(when=expires.strftime('%Y-%m-%d %H:%M')))}</p>")
    lang = escape(locale.replace("_", "-"), quote=True)
    style = ("body{font-family:system-ui,sans-serif;max-width:26rem;margin:0 auto;padding:1rem;text-align:center}"
             ".qr svg{width:100%;max-width:18rem;height:auto}.code{font-size:1.4rem;letter-spacing:.08em}"
             ".offer{font-size:1.3rem}.state{font-weight:bold}.redeemed,.expired{color:#a11d1d}"
             ".issued{color:#17663a}")
    return (f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f'<meta name="robots" content="noindex">'
            f"<title>{escape(words['title'])}</title><style>{style}</style></head>"
            f"<body><main>{''.join(parts)}</main></body></html>")


@router.get("/c/{code}/{signature}")
async def coupon_page(code: Annotated[str, Path(max_length=60)], signature: Annotated[str, Path(max_length=60)],
                      request: Request) -> HTMLResponse:
    """The customer's coupon: its QR code and code, in their language (404 for a wrong signature)."""
    html = await run_in_threadpool(_coupon_page, code, signature, request.headers.get("accept-language"))
    return HTMLResponse(html, headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY, "Cache-Control": "no-store",
                                       "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"})
