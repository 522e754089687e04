"""Hub's OutboundMessage as a web chat card: plain JSON the widget draws with DOM nodes.

A card has a `kind` (`text`, `media`, `buttons`, `product`, `product_list`) and whichever of
`header`, `text`, `footer`, `media`, `buttons`, `button_label` and `products` it uses. Lists
become buttons (with their descriptions), with the image of a product card as `media`; templates are
sent as their text. Every URL in a card
is http(s): the widget opens nothing else.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.text import truncate_chars
from channels.types import Button, OutboundMessage

CARD_TEXT = 4096
TITLE = 80
DESCRIPTION = 300
MAX_BUTTONS = 20
MAX_PRODUCTS = 30
MAX_URL = 2048
MEDIA_TYPES = ("image", "video", "audio", "document")

Card = dict[str, Any]


class RenderError(ValueError):
    """The message cannot be shown in the widget (the reason is for a person)."""


def safe_url(value: object) -> str | None:
    """The URL when it is an absolute http(s) URL of a sane length, else None."""
    if not isinstance(value, str) or not value or len(value) > MAX_URL:
        return None
    parts = urlsplit(value.strip())
    return value.strip() if parts.scheme in ("http", "https") and parts.netloc else None


def card(message: OutboundMessage) -> Card:
    """The card for `message`; RenderError when there is nothing to show or a URL is unsafe."""
    body: Card = {"kind": "text"}
    for key, value in (("header", message.header), ("text", _text(message)), ("footer", message.footer)):
        if value:
            body[key] = truncate_chars(value, CARD_TEXT)
    if message.kind == "media":
        body["kind"] = "media"
        body["media"] = _media(message)
    elif message.kind in ("buttons", "list"):
        body["kind"] = "buttons"
        image = safe_url(message.media_url) if message.media_type == "image" else None
        if image:  # a product card: its picture above the text and the buttons
            body["media"] = {"url": image, "type": "image"}
        if message.list_button:
            body["button_label"] = truncate_chars(message.list_button, TITLE)
    elif message.kind in ("product", "product_list"):
        products = _products(message)
        if products:  # a product message without product details is shown as its text
            body["kind"], body["products"] = message.kind, products
    if message.buttons:
        body["buttons"] = _buttons(message.buttons)
    if not any(key in body for key in ("text", "header", "media", "buttons", "products")):
        raise RenderError("there is nothing to show: no text, media, buttons or products")
    return body


def _text(message: OutboundMessage) -> str | None:
    if message.text:
        return message.text
    if message.kind == "template":
        return " ".join(message.template_params) or None
    return None


def _media(message: OutboundMessage) -> dict[str, Any]:
    url = safe_url(message.media_url)
    if url is None:
        raise RenderError("a media message needs an http(s) media_url")
    media: dict[str, Any] = {"url": url, "type": message.media_type if message.media_type in MEDIA_TYPES
                             else "document"}
    filename = message.payload.get("filename")
    if isinstance(filename, str) and filename:
        media["filename"] = truncate_chars(filename, TITLE)
    return media


def _buttons(buttons: tuple[Button, ...] | list[Button]) -> list[dict[str, Any]]:
    if len(buttons) > MAX_BUTTONS:
        raise RenderError(f"a web chat card holds at most {MAX_BUTTONS} buttons")
    return [_button(button) for button in buttons]


def _button(button: Button) -> dict[str, Any]:
    title = truncate_chars(button.title, TITLE)
    if button.url is not None:
        url = safe_url(button.url)
        if url is None:
            raise RenderError(f"the button {button.title!r} needs an http(s) URL")
        return {"type": "url", "url": url, "title": title}
    rendered: dict[str, Any] = {"type": "reply", "id": button.id or button.title, "title": title}
    if button.description:
        rendered["description"] = truncate_chars(button.description, DESCRIPTION)
    return rendered


def _products(message: OutboundMessage) -> list[dict[str, Any]]:
    """Products from the payload: `product` (one dict) or `products` (a list), else the payload itself."""
    payload = message.payload
    if isinstance(payload.get("products"), list):
        raw = [item for item in payload["products"] if isinstance(item, dict)]
    elif isinstance(payload.get("product"), dict):
        raw = [payload["product"]]
    else:
        raw = [payload]
    products = [product for product in (_product(item) for item in raw[:MAX_PRODUCTS]) if product]
    if not products and message.kind == "product_list":
        raise RenderError("a product list needs products with a title in its payload")
    return products


def _product(item: dict[str, Any]) -> dict[str, Any]:
    product: dict[str, Any] = {}
    title = item.get("title") or item.get("name")
    if isinstance(title, str) and title:
        product["title"] = truncate_chars(title, TITLE)
    price = item.get("price_text") or item.get("price")
    if isinstance(price, int | float) and not isinstance(price, bool):
        price = f"{price} {item.get('currency') or ''}".strip()
    if isinstance(price, str) and price:
        product["price"] = truncate_chars(price, TITLE)
    description = item.get("description")
    if isinstance(description, str) and description:
        product["description"] = truncate_chars(description, DESCRIPTION)
    for key, sources in (("image", ("image_url", "image")), ("url", ("url",))):
        url = next((safe_url(item.get(source)) for source in sources if safe_url(item.get(source))), None)
        if url:
            product[key] = url
    raw_buttons = item.get("buttons")
    if isinstance(raw_buttons, list):
        product["buttons"] = _buttons([_as_button(entry) for entry in raw_buttons if isinstance(entry, dict)])
    return product if "title" in product else {}


def _as_button(entry: dict[str, Any]) -> Button:
    title = entry.get("title")
    if not isinstance(title, str) or not title:
        raise RenderError("every product button needs a title")
    return Button(title=title, id=entry.get("id"), url=entry.get("url"))
