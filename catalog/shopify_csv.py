"""Import Shopify's product CSV export.

A product's first row carries Handle, Title, Body (HTML), the option names and its first variant;
each further variant is a row with the Handle and the variant columns only, and image-only rows
add pictures. Shopify has one title per product and one price per variant, so the import takes
the locale the titles are written in and the currency the prices are in.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from sqlmodel import Session

from catalog import money
from catalog.csv_io import ImportResult, parse_bool, parse_count, read_rows, run_rows, upsert_product
from catalog.errors import CatalogError
from catalog.models import Product
from catalog.products import Change, VariantInput, get_by_handle, upsert_variant

_BLOCKS = {"p", "div", "br", "li", "ul", "ol", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}
_DEFAULT_OPTION = ("Title", "Default Title")
_SLUG = re.compile(r"[^a-z0-9]+")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def html_to_text(html: str) -> str:
    """Shopify's Body (HTML) as plain text for a chat: tags dropped, paragraphs kept as lines."""
    parser = _Text()
    parser.feed(html)
    parser.close()
    lines = (" ".join(line.split()) for line in "".join(parser.parts).splitlines())
    return "\n".join(line for line in lines if line)


def _sku_for(handle: str, values: list[str]) -> str:
    """A stable SKU for a Shopify variant that has none: the handle and the option values."""
    words = [_SLUG.sub("-", value.lower()).strip("-") or value for value in values]
    return "-".join([handle, *words])[:100]


class _ShopifyRow:
    def __init__(self, session: Session, currency: str, locale: str) -> None:
        self.session = session
        self.currency = currency
        self.locale = locale
        self.option_names: dict[str, list[str]] = {}

    def __call__(self, number: int, row: dict[str, str], result: ImportResult, seen: dict[str, Change]) -> None:
        handle = row.get("Handle", "")
        if not handle:
            raise CatalogError("the Handle is empty")
        if row.get("Title"):
            self.option_names[handle] = [row.get(f"Option{i} Name", "") for i in (1, 2, 3)]
            body = html_to_text(row.get("Body (HTML)", ""))
            active = parse_bool(row.get("Status", ""), "Status")
            if active is None:
                active = parse_bool(row.get("Published", ""), "Published")
            product, change = upsert_product(
                session=self.session, handle=handle, title={self.locale: row["Title"]},
                description={self.locale: body} if body else {}, image_url=row.get("Image Src") or None,
                active=active)
            result.count_product(product.handle, change, seen)
        else:
            found = get_by_handle(session=self.session, handle=handle)
            if found is None:
                raise CatalogError(f"{handle}: the product's first row (with its Title) must come before this one")
            product = found
            self._add_image(product, row.get("Image Src", ""))
        if any(row.get(column) for column in ("Option1 Value", "Variant SKU", "Variant Price")):
            _, change = upsert_variant(session=self.session, product=product, data=self._variant(handle, row))
            result.count_variant(change)

    def _variant(self, handle: str, row: dict[str, str]) -> VariantInput:
        names = self.option_names.get(handle) or [row.get(f"Option{i} Name", "") for i in (1, 2, 3)]
        options: dict[str, str] = {}
        for index, inherited in enumerate(names, start=1):
            name = row.get(f"Option{index} Name") or inherited
            value = row.get(f"Option{index} Value", "")
            if name and value and (name, value) != _DEFAULT_OPTION:
                options[name] = value
        price = row.get("Variant Price", "")
        stock = parse_count(row.get("Variant Inventory Qty", ""), "Variant Inventory Qty")
        return VariantInput(
            sku=row.get("Variant SKU") or _sku_for(handle, list(options.values())), options=options,
            image_url=row.get("Variant Image") or None,
            stock_on_hand=None if stock is None else max(stock, 0),  # Shopify allows oversold (negative) counts
            prices={self.currency: money.parse_amount(price, self.currency)} if price else {})

    def _add_image(self, product: Product, image_url: str) -> None:
        if image_url and not product.image_url:
            product.image_url = image_url
            self.session.add(product)


def import_shopify(*, session: Session, data: bytes, currency: str, locale: str = "en") -> ImportResult:
    """Import a Shopify product export; `currency` is what its Variant Price column is in."""
    code = money.currency_code(currency)
    return run_rows(session, read_rows(data), _ShopifyRow(session, code, locale.replace("-", "_")))
