"""Products and carts as chat messages: (kind, text, payload) triples for `queue_reply`.

Every reply button carries a cart command as its id (`cart:add:<variant id>`, `cart:view`,
`cart:checkout`); it comes back as a button or list reply, a Telegram callback or a web chat
button frame. Channels without buttons (SMS) show the same buttons as a numbered menu, and the
buttons stored in the message's payload are the menu that a bare "2" is resolved against.

The currency of a conversation's cart (the price list): the open cart's own, else the channel's
(its `currency` config key, else its `market` country's currency), else
the currency of the customer's phone country (HK → HKD, JP → JPY), else JPY for a customer who reads
Japanese, else `HUB_DEFAULT_CURRENCY`. A product without a price in it is refused, never shown in another.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlmodel import Session, select

from catalog import money
from catalog.carts import CartView
from catalog.errors import CatalogError, NotFound
from catalog.models import Cart, CartStatus, Product, Variant
from catalog.products import (
    available,
    localized,
    price_of,
    prices_of,
    product_path,
    search_products,
    variant_label,
    variants_of,
)
from hub.channel_records.models import Channel
from hub.contacts import locales
from hub.contacts.models import Contact
from hub.conversations.models import Conversation
from hub.runtime.settings import get_settings

ADD = "cart:add:"
VIEW = "cart:view"
CHECKOUT = "cart:checkout"
MAX_ROWS = 10
ROW_TITLE = 24
HEADER = 60
"""WhatsApp's header (and row title) limits: a label is fitted here, where its title can give way."""
CURRENCY_BY_LANGUAGE = {"ja": "JPY"}
COUNTRY_CURRENCY = {"HK": "HKD", "MO": "HKD", "JP": "JPY", "US": "USD"}

Reply = tuple[str, str | None, dict[str, Any]]
"""(kind, text, payload), as `queue_reply` takes them."""

TEXTS: dict[str, dict[str, str]] = {
    "add": {"en": "Add to cart", "zh_Hant": "加入購物車", "ja": "カートに入れる"},
    "view": {"en": "View cart", "zh_Hant": "查看購物車", "ja": "カートを見る"},
    "checkout": {"en": "Checkout", "zh_Hant": "結帳", "ja": "購入手続きへ"},
    "pay": {"en": "Pay now", "zh_Hant": "立即付款", "ja": "今すぐ支払う"},
    "pick": {"en": "Pick a product to add to your cart.", "zh_Hant": "請選擇要加入購物車的商品。",
             "ja": "カートに入れる商品を選んでください。"},
    "products": {"en": "Products", "zh_Hant": "商品", "ja": "商品"},
    "added": {"en": "Added to your cart.", "zh_Hant": "已加入購物車。", "ja": "カートに追加しました。"},
    "cart": {"en": "Your cart", "zh_Hant": "你的購物車", "ja": "カートの中身"},
    "total": {"en": "Total", "zh_Hant": "合計", "ja": "合計"},
    "empty": {"en": "Your cart is empty.", "zh_Hant": "你的購物車是空的。", "ja": "カートは空です。"},
    "sold_out": {"en": "Sorry, {item} is sold out.", "zh_Hant": "抱歉，{item} 已售罄。",
                 "ja": "申し訳ありません。{item} は売り切れです。"},
    "only_left": {"en": "Sorry, only {left} of {item} left.", "zh_Hant": "抱歉，{item} 只剩 {left} 件。",
                  "ja": "申し訳ありません。{item} は残り {left} 点です。"},
    "unavailable": {"en": "Sorry, that cannot be ordered right now.", "zh_Hant": "抱歉，目前無法訂購。",
                    "ja": "申し訳ありません。現在ご注文いただけません。"},
    "order": {"en": "Order {number}: {total}.", "zh_Hant": "訂單 {number}：{total}。",
              "ja": "ご注文 {number}：{total}。"},
    "pay_later": {"en": "We will send you a way to pay shortly.", "zh_Hant": "我們稍後會傳送付款方式給你。",
                  "ja": "お支払い方法はまもなくお送りします。"},
}


def say(key: str, locale: str | None, **values: Any) -> str:
    """One of the chat's sentences in the customer's language (English when it has none)."""
    return localized(TEXTS[key], locale).format(**values)


def button(title: str, button_id: str | None = None, *, url: str | None = None,
           description: str | None = None) -> dict[str, Any]:
    """A button as `as_outbound` reads it from a message's payload."""
    found: dict[str, Any] = {"title": title}
    for key, value in (("id", button_id), ("url", url), ("description", description)):
        if value is not None:
            found[key] = value
    return found


def find_open_cart(*, session: Session, conversation: Conversation) -> Cart | None:
    """The contact's open cart in this conversation, without making one."""
    return session.exec(select(Cart).where(Cart.contact_id == conversation.contact_id,
                                           Cart.conversation_id == conversation.id,
                                           Cart.status == CartStatus.open.value)).first()


def currency_for(*, session: Session, conversation: Conversation) -> str:
    """The currency a conversation's cart is priced in (see the module's docstring)."""
    cart = find_open_cart(session=session, conversation=conversation)
    if cart is not None:
        return cart.currency
    channel = session.get(Channel, conversation.channel_id)
    configured = locales.channel_currency(dict(channel.config)) if channel else None
    if configured:
        return money.currency_code(configured)
    contact = session.get(Contact, conversation.contact_id)
    for phone in locales.phones_of(session, contact.id if contact else None):
        by_country = COUNTRY_CURRENCY.get(locales.country_of_phone(phone) or "")
        if by_country:
            return by_country
    language = locales.for_contact(session, contact, channel)
    return CURRENCY_BY_LANGUAGE.get(language) or money.currency_code(get_settings().default_currency)


def customer_locale(*, session: Session, conversation: Conversation) -> str:
    """The language of everything the customer reads in this conversation (see `hub.contacts.locales`)."""
    return locales.for_contact(session, session.get(Contact, conversation.contact_id), conversation.channel_id)


def _variants(session: Session, variant_ids: Sequence[int]) -> list[tuple[Product, Variant]]:
    found: list[tuple[Product, Variant]] = []
    for variant_id in dict.fromkeys(variant_ids):  # once each, in the order asked
        variant = session.get(Variant, variant_id)
        product = session.get(Product, variant.product_id) if variant else None
        if variant is None or product is None:
            raise NotFound(f"there is no variant {variant_id}")
        if not product.active:
            raise CatalogError(f"{variant.sku} is not on sale")
        found.append((product, variant))
    return found


def product_message(*, session: Session, variant_ids: Sequence[int], locale: str | None, currency: str) -> Reply:
    """One variant → a buttons message with its image, title and price; several → a list, one row each."""
    if not variant_ids:
        raise CatalogError("pick at least one product")
    chosen = _variants(session, variant_ids)
    if len(chosen) > MAX_ROWS:
        raise CatalogError(f"a product message holds at most {MAX_ROWS} products")
    priced = [(product, variant, money.display(price_of(session=session, variant=variant, currency=currency),
                                               currency, locale)) for product, variant in chosen]
    if len(priced) == 1:
        product, variant, price = priced[0]
        assert variant.id is not None
        payload: dict[str, Any] = {
            "header": variant_label(product, variant, locale, HEADER),
            "link": product_path(variant.id),  # written out where the channel cannot show the product (SMS)
            "buttons": [button(say("add", locale), f"{ADD}{variant.id}"), button(say("view", locale), VIEW)],
        }
        image = variant.image_url or product.image_url
        if image:
            payload.update(media_url=image, media_type="image")
        description = localized(product.description, locale)
        return "buttons", "\n".join(part for part in (price, description) if part), payload
    rows = [button(variant_label(product, variant, locale, ROW_TITLE), f"{ADD}{variant.id}",
                   description=price) for product, variant, price in priced]
    return "list", say("pick", locale), {"buttons": rows, "list_button": say("products", locale)}


def search_message(*, session: Session, text: str, locale: str | None, currency: str, limit: int = 5
                   ) -> Reply | None:
    """The products a customer's sentence asks for as a product message (`product_message`), at most `limit`,
    each as its first variant in stock with a price in `currency` (none in stock: its first priced one); None
    when nothing on sale matches."""
    products = search_products(session=session, text=text, limit=MAX_ROWS)
    variants = variants_of(session=session, product_ids=[p.id for p in products if p.id is not None])
    prices = prices_of(session=session, variant_ids=[v.id for vs in variants.values() for v in vs if v.id])
    code = money.currency_code(currency)
    chosen: list[int] = []
    for product in products:
        priced = [v for v in variants.get(product.id or 0, []) if v.id and code in prices.get(v.id, {})]
        in_stock = [v for v in priced if available(v) > 0]
        if priced:
            chosen.append((in_stock or priced)[0].id or 0)
    if not chosen:
        return None
    return product_message(session=session, variant_ids=chosen[:max(1, min(limit, MAX_ROWS))], locale=locale,
                           currency=code)


def cart_summary(view: CartView) -> str:
    """"2 × Silk shirt (M) HK$257.00" per line, then the total."""
    if not view.lines:
        return say("empty", view.locale)
    lines = [f"{line.quantity} × {line.title}  {view.display(line.line_minor)}" for line in view.lines]
    total = f"{say('total', view.locale)}: {view.display(view.total_minor)}"
    return "\n".join([f"{say('cart', view.locale)}:", *lines, total])


def cart_message(view: CartView, *, lead: str | None = None) -> Reply:
    """The cart's summary with "Checkout" and "View cart" (text only when the cart is empty)."""
    text = "\n\n".join(part for part in (lead, cart_summary(view)) if part)
    if not view.lines:
        return "text", text, {}
    buttons = [button(say("checkout", view.locale), CHECKOUT), button(say("view", view.locale), VIEW)]
    return "buttons", text, {"buttons": buttons}


def order_message(*, number: str, total: str, locale: str | None, pay_url: str | None) -> Reply:
    """The order number and total, with a "Pay now" link button when there is a payment link."""
    lead = say("order", locale, number=number, total=total)
    if not pay_url:
        return "text", f"{lead}\n{say('pay_later', locale)}", {}
    # One URL button: a "cta_url" on WhatsApp, "Pay now: <url>" on SMS, a link key on Telegram.
    return "buttons", lead, {"buttons": [button(say("pay", locale), url=pay_url)]}


def menu_of(payload: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The buttons a stored outbound message offered (its numbered menu on SMS)."""
    raw = payload.get("buttons")
    return [dict(item) for item in raw if isinstance(item, dict)] if isinstance(raw, list) else []
