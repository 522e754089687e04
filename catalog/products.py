"""Products, their variants, prices and stock: creating, changing, finding and pricing them."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Literal, cast

from sqlalchemy import CursorResult, func, or_, update
from sqlmodel import Session, col, select

from catalog import money
from catalog.errors import CatalogError, NoPrice, NotFound
from catalog.models import Price, Product, Variant
from channels.text import truncate_chars
from hub.contacts import locales
from hub.runtime.db import utcnow

_HANDLE = re.compile(r"[a-z0-9](?:[a-z0-9_-]{0,198}[a-z0-9])?")
_LOCALE = re.compile(r"[a-z]{2,3}(?:_[A-Za-z0-9]{2,8})*")
MAX_SKU = 100
Change = Literal["created", "updated", "unchanged"]


class Keep(Enum):
    """Leave this field as it is (an update that does not mention it)."""

    KEEP = "keep"


KEEP = Keep.KEEP


@dataclass(frozen=True)
class VariantInput:
    """A variant as an admin or a file describes it; the SKU finds it again. `prices` are minor units.

    `options` are given in full (KEEP leaves an existing variant's as they are)."""

    sku: str
    options: Mapping[str, str] | Keep = field(default_factory=dict)
    image_url: str | None | Keep = KEEP
    stock_on_hand: int | None = None
    prices: Mapping[str, int] = field(default_factory=dict)


def check_handle(handle: str) -> str:
    """A URL slug: lower-case letters, digits, '-' and '_'."""
    cleaned = (handle or "").strip()
    if not _HANDLE.fullmatch(cleaned):
        raise CatalogError(f"{handle!r} is not a handle: use lower-case letters, digits, '-' and '_' (like "
                           "'silk-shirt')")
    return cleaned


def check_texts(texts: Mapping[str, str], what: str, *, required: bool) -> dict[str, str]:
    """A `{locale: text}` dict with locale keys such as "en", "zh_Hant", "ja"; blank texts are dropped."""
    cleaned: dict[str, str] = {}
    for locale, value in texts.items():
        key = str(locale).replace("-", "_")
        if not _LOCALE.fullmatch(key):
            raise CatalogError(f"{locale!r} is not a locale for a {what} (use 'en', 'zh_Hant', 'ja'…)")
        if not isinstance(value, str):
            raise CatalogError(f"the {what} in {locale} must be text")
        if value.strip():
            cleaned[key] = value.strip()
    if required and not cleaned:
        raise CatalogError(f"a product needs a {what} in at least one language")
    return cleaned


def localized(texts: Mapping[str, str], locale: str | None) -> str:
    """The text for a locale: exact, then its parents (zh_Hant_HK → zh_Hant → zh), then the customer
    language it means (zh_HK, zh_TW → zh_Hant; ja_JP → ja), then English, then any."""
    if not texts:
        return ""
    parts = (locale or "en").replace("-", "_").split("_")
    chain = ["_".join(parts[:size]).lower() for size in range(len(parts), 0, -1)]
    chain.append((locales.language(locale) or "en").lower())
    for wanted in chain:
        for key, value in texts.items():
            if key.lower() == wanted:
                return value
    return texts.get("en") or next(iter(texts.values()))


PRODUCT_PATH = "/p/{variant_id}"
"""A variant's public page on Hub (`catalog.product_page`): the short link an SMS carries."""
MIN_TITLE = 6
"""The fewest characters of a product's title a shortened label keeps (with the ellipsis)."""


def product_path(variant_id: int) -> str:
    return PRODUCT_PATH.format(variant_id=variant_id)


def variant_label(product: Product, variant: Variant, locale: str | None, limit: int | None = None) -> str:
    """"Silk shirt (M / Red)": the product's title with the variant's option values.

    With `limit` (characters), a label that is too long has its title shortened, never its options:
    the three sizes of a long-named dress stay three different rows ("Silk dress with a… (M)").
    """
    title = localized(product.title, locale) or product.handle
    values = [str(v) for v in variant.options.values() if str(v).strip()]
    suffix = f" ({' / '.join(values)})" if values else ""
    if limit is None or len(title) + len(suffix) <= limit:
        return title + suffix
    room = limit - len(suffix)
    if room < MIN_TITLE:  # options alone nearly fill the space: keep a little title, cut the rest
        return truncate_chars(title + suffix, limit)
    return truncate_chars(title, room) + suffix


def _search_text(product: Product) -> str:
    return " ".join([product.handle, *product.title.values()]).casefold()


def create_product(*, session: Session, handle: str, title: Mapping[str, str],
                   description: Mapping[str, str] | None = None, image_url: str | None = None, active: bool = True,
                   variants: Sequence[VariantInput] = ()) -> Product:
    """A new product with its variants; refuses a handle that is taken."""
    handle = check_handle(handle)
    if get_by_handle(session=session, handle=handle) is not None:
        raise CatalogError(f"the handle {handle!r} is taken by another product")
    product = Product(handle=handle, title=check_texts(title, "title", required=True),
                      description=check_texts(description or {}, "description", required=False),
                      image_url=image_url or None, active=active)
    product.search_text = _search_text(product)
    session.add(product)
    session.flush()
    for variant in variants:
        upsert_variant(session=session, product=product, data=variant)
    return product


def update_product(*, session: Session, product_id: int, handle: str | None = None,
                   title: Mapping[str, str] | None = None, description: Mapping[str, str] | None = None,
                   image_url: str | None | Keep = KEEP, active: bool | None = None,
                   variants: Sequence[VariantInput] = ()) -> Product:
    """Change what is given; variants are matched by SKU (new SKUs are added, none is removed)."""
    product = session.get(Product, product_id)
    if product is None:
        raise NotFound(f"there is no product {product_id}")
    if handle is not None and handle != product.handle:
        handle = check_handle(handle)
        if get_by_handle(session=session, handle=handle) is not None:
            raise CatalogError(f"the handle {handle!r} is taken by another product")
        product.handle = handle
    if title is not None:
        product.title = check_texts(title, "title", required=True)
    if description is not None:
        product.description = check_texts(description, "description", required=False)
    if not isinstance(image_url, Keep):
        product.image_url = image_url or None
    if active is not None:
        product.active = active
    product.search_text = _search_text(product)
    if session.is_modified(product):
        product.updated_at = utcnow()
    session.add(product)
    session.flush()
    for variant in variants:
        upsert_variant(session=session, product=product, data=variant)
    return product


def upsert_variant(*, session: Session, product: Product, data: VariantInput) -> tuple[Variant, Change]:
    """Create the variant with this SKU, or change it; says which it did."""
    assert product.id is not None
    sku = (data.sku or "").strip()
    if not sku or len(sku) > MAX_SKU:
        raise CatalogError(f"a variant needs a SKU of 1 to {MAX_SKU} characters")
    given = {} if isinstance(data.options, Keep) else data.options
    options = {str(k).strip(): str(v).strip() for k, v in given.items() if str(k).strip()}
    variant = session.exec(select(Variant).where(Variant.sku == sku)).first()
    created, changed = variant is None, False
    if variant is None:
        variant = Variant(product_id=product.id, sku=sku, options=options,
                          image_url=None if isinstance(data.image_url, Keep) else data.image_url or None)
        session.add(variant)
        session.flush()
    elif variant.product_id != product.id:
        raise CatalogError(f"the SKU {sku} belongs to another product ({variant.product_id})")
    else:
        if not isinstance(data.options, Keep) and variant.options != options:
            variant.options = options
        if not isinstance(data.image_url, Keep) and variant.image_url != (data.image_url or None):
            variant.image_url = data.image_url or None
        if session.is_modified(variant):
            variant.updated_at = utcnow()
            session.add(variant)
            changed = True
    if data.stock_on_hand is not None:
        changed = set_stock(session=session, variant=variant, on_hand=data.stock_on_hand) or changed
    for currency, amount in data.prices.items():
        changed = set_price(session=session, variant_id=variant.id or 0, currency=currency,
                            amount_minor=amount) or changed
    return variant, "created" if created else "updated" if changed else "unchanged"


def set_stock(*, session: Session, variant: Variant, on_hand: int) -> bool:
    """Count the stock on hand; refuses less than pending orders hold. True when it changed."""
    if on_hand < 0:
        raise CatalogError(f"{variant.sku}: stock cannot be negative")
    table = Variant.__table__  # type: ignore[attr-defined]
    # One conditional UPDATE: a reservation committed meanwhile cannot end up above the stock.
    result = cast(CursorResult[Any], session.execute(
        update(table).where(table.c.id == variant.id, table.c.stock_reserved <= on_hand,
                            table.c.stock_on_hand != on_hand)
        .values(stock_on_hand=on_hand, updated_at=utcnow())))
    session.refresh(variant)
    if result.rowcount == 0 and variant.stock_on_hand != on_hand:
        raise CatalogError(f"{variant.sku}: pending orders hold {variant.stock_reserved}, so stock cannot be "
                           f"{on_hand}")
    return bool(result.rowcount)


def set_price(*, session: Session, variant_id: int, currency: str, amount_minor: int) -> bool:
    """Set a variant's price in one currency (minor units). True when it changed."""
    code = money.currency_code(currency)
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor < 0:
        raise CatalogError(f"a price in {code} must be a whole, non-negative number of minor units")
    price = session.get(Price, (variant_id, code))
    if price is None:
        session.add(Price(variant_id=variant_id, currency=code, amount_minor=amount_minor))
        session.flush()
        return True
    if price.amount_minor == amount_minor:
        return False
    price.amount_minor = amount_minor
    session.add(price)
    session.flush()
    return True


def get_product(*, session: Session, product_id: int) -> Product | None:
    return session.get(Product, product_id)


def get_by_handle(*, session: Session, handle: str) -> Product | None:
    return session.exec(select(Product).where(Product.handle == handle)).first()


def get_variant(*, session: Session, variant_id: int) -> Variant | None:
    return session.get(Variant, variant_id)


def list_products(*, session: Session, q: str | None = None, active: bool | None = None, after_id: int | None = None,
                  limit: int = 50) -> list[Product]:
    """Products by id; `q` matches the handle, a title in any language, or a SKU."""
    query = select(Product)
    if q and q.strip():
        needle = q.strip().casefold()
        by_sku = select(Variant.product_id).where(func.lower(col(Variant.sku)).contains(needle, autoescape=True))
        query = query.where(or_(col(Product.search_text).contains(needle, autoescape=True),
                                col(Product.id).in_(by_sku)))
    if active is not None:
        query = query.where(Product.active == active)
    if after_id is not None:
        query = query.where(col(Product.id) > after_id)
    return list(session.exec(query.order_by(col(Product.id)).limit(limit)))


SEARCH_STOPWORDS = frozenset({"a", "an", "and", "any", "are", "but", "buy", "can", "do", "does", "find", "for",
    "get", "have", "here", "i", "i'm", "im", "is", "it", "looking", "me", "my", "need", "of", "please", "search",
    "show", "some", "the", "there", "to", "want", "what", "which", "with", "you", "your"})
MAX_SEARCH_TERMS = 12
CJK_RUN = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]+")
LATIN_WORD = re.compile(r"[0-9a-z][0-9a-z'-]+")


def search_terms(text: str) -> list[str]:
    """The words of a customer's sentence to look products up by: Latin words (not "looking", "for"...) and the
    two-character pieces of each Chinese or Japanese run ("我想找圍巾" → 我想, 想找, 找圍, 圍巾), since those are
    written without spaces."""
    folded = unicodedata.normalize("NFKC", text or "").casefold()
    terms = [w.strip("'-") for w in LATIN_WORD.findall(folded) if w.strip("'-") not in SEARCH_STOPWORDS]
    for run in CJK_RUN.findall(folded):
        terms.extend([run] if len(run) <= 2 else [run[i:i + 2] for i in range(len(run) - 1)])
    return list(dict.fromkeys(t for t in terms if t))[:MAX_SEARCH_TERMS]


def _forms(term: str) -> list[str]:
    """A word and, for an English plural, its singular ("scarves" → scarf, "dresses" → dress, "shirts" → shirt)."""
    if not term.isascii() or len(term) < 4:
        return [term]
    if term.endswith("ves"):
        return [term, term[:-3] + "f"]
    if term.endswith("ies"):
        return [term, term[:-3] + "y"]
    if term.endswith("es"):
        return [term, term[:-2], term[:-1]]
    if term.endswith("s") and not term.endswith("ss"):
        return [term, term[:-1]]
    return [term]


def search_products(*, session: Session, text: str, limit: int = 5) -> list[Product]:
    """Products on sale that a customer's sentence asks for ("scarves", "有沒有圍巾？", "マフラーありますか"), those
    matching most of its words first, then by id; at most `limit`."""
    scores: dict[int, int] = {}
    found: dict[int, Product] = {}
    for term in search_terms(text):
        matched = {product.id: product for form in _forms(term)
                   for product in list_products(session=session, q=form, active=True, limit=50)}
        for product_id, product in matched.items():
            assert product_id is not None
            scores[product_id] = scores.get(product_id, 0) + 1
            found[product_id] = product
    ranked = sorted(scores, key=lambda product_id: (-scores[product_id], product_id))
    return [found[product_id] for product_id in ranked[:limit]]


def variants_of(*, session: Session, product_ids: Iterable[int]) -> dict[int, list[Variant]]:
    """Each product's variants, by id."""
    ids = list(product_ids)
    found: dict[int, list[Variant]] = {product_id: [] for product_id in ids}
    if ids:
        for variant in session.exec(select(Variant).where(col(Variant.product_id).in_(ids)).order_by(col(Variant.id))):
            found[variant.product_id].append(variant)
    return found


def prices_of(*, session: Session, variant_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """Each variant's prices: {variant_id: {currency: amount_minor}}."""
    ids = list(variant_ids)
    found: dict[int, dict[str, int]] = {variant_id: {} for variant_id in ids}
    if ids:
        for price in session.exec(select(Price).where(col(Price.variant_id).in_(ids)).order_by(col(Price.currency))):
            found[price.variant_id][price.currency] = price.amount_minor
    return found


def price_of(*, session: Session, variant: Variant, currency: str) -> int:
    """The variant's price in this currency, in minor units; `NoPrice` when it has none."""
    code = money.currency_code(currency)
    price = session.get(Price, (variant.id, code))
    if price is None:
        raise NoPrice(variant.sku, code)
    return price.amount_minor


def available(variant: Variant) -> int:
    """Units that can still be sold: on hand minus what pending orders hold."""
    return variant.stock_on_hand - variant.stock_reserved
