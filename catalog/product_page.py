"""`GET /p/{variant_id}`: the public page a product's short link opens (an SMS has no room for a picture).

The page shows what the product message shows on richer channels: the picture, the title with the
variant's options, the description and the price, in the language the customer's browser asks for.
Only products on sale are shown; every value is escaped and the page runs no script.
"""

from __future__ import annotations

from html import escape
from typing import Annotated

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from catalog import money
from catalog.models import Product, Variant
from catalog.products import PRODUCT_PATH, localized, prices_of, variant_label
from hub.runtime.db import session_scope

LANGUAGES = ("en", "zh_Hant", "ja")
CONTENT_SECURITY_POLICY = "default-src 'none'; img-src https: http:; style-src 'unsafe-inline'; base-uri 'none'"

router = APIRouter(tags=["catalog"])
VariantId = Annotated[int, Path(ge=1, le=2_147_483_647, examples=[12], description="the variant's id")]


def page_locale(accept_language: str | None) -> str:
    """The first of Hub's languages the browser asks for (zh-HK and zh-TW read zh_Hant), else English."""
    for part in (accept_language or "").split(","):
        tag = part.split(";")[0].strip().lower().replace("_", "-")
        if tag.startswith("ja"):
            return "ja"
        if tag.startswith(("zh-hant", "zh-hk", "zh-tw", "zh-mo")) or tag == "zh":
            return "zh_Hant"
        if tag.startswith("en"):
            return "en"
    return "en"


def _page(variant_id: int, locale: str) -> str:
    with session_scope() as session:
        variant = session.get(Variant, variant_id)
        product = session.get(Product, variant.product_id) if variant else None
        if variant is None or product is None or not product.active:
            raise HTTPException(404, "no such product")
        title = variant_label(product, variant, locale)
        description = localized(product.description, locale)
        image = variant.image_url or product.image_url
        prices = prices_of(session=session, variant_ids=[variant_id])[variant_id]
    lang = locale.replace("_", "-")
    parts = [f"<h1>{escape(title)}</h1>"]
    if image and image.startswith(("https://", "http://")):
        parts.insert(0, f'<img src="{escape(image, quote=True)}" alt="{escape(title, quote=True)}" '
                        f'style="max-width:100%;height:auto">')
    if prices:
        shown = " · ".join(money.display(amount, currency, locale) for currency, amount in prices.items())
        parts.append(f"<p><strong>{escape(shown)}</strong></p>")
    if description:
        parts.append(f"<p>{escape(description)}</p>")
    return (f'<!doctype html><html lang="{escape(lang, quote=True)}"><head><meta charset="utf-8">'
            f'<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{escape(title)}</title></head><body><main>{''.join(parts)}</main></body></html>")


@router.get(PRODUCT_PATH, response_class=HTMLResponse, summary="A product's public page (the short link sent by SMS)",
            responses={404: {"description": "no such product, or it is not on sale"}})
async def product_page(variant_id: VariantId, request: Request) -> HTMLResponse:
    """The variant's picture, title, price and description, in the browser's language (en, zh-Hant or ja)."""
    html = await run_in_threadpool(_page, variant_id, page_locale(request.headers.get("accept-language")))
    return HTMLResponse(html, headers={"Content-Security-Policy": CONTENT_SECURITY_POLICY,
                                       "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"})
