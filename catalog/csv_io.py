"""Products, variants, prices and stock in and out of CSV: Hub's own columns, and Shopify's export.

Hub's format has one row per variant (a product without variants has one row with no SKU):

    handle, title:en, title:zh_Hant, …, description:en, …, image_url, active, sku,
    option1_name, option1_value, …, variant_image_url, stock_on_hand, price:HKD, price:JPY, …

Prices are decimals in the currency's major unit ("128.50" HKD, "1500" JPY). Import is an upsert
by handle and SKU, so running it twice changes nothing; a bad row is reported with its row number
(the header is row 1) and the other rows still go in. Files are UTF-8, with or without a BOM.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from catalog import money
from catalog.errors import CatalogError
from catalog.models import Price, Product, Variant
from catalog.products import Change, VariantInput, create_product, get_by_handle, update_product, upsert_variant

_RISKY_START = ("=", "+", "-", "@", "\t", "\r")
_LOCALE_ORDER = ("en", "zh_Hant", "ja")
_TRUE = {"true", "yes", "1", "y", "active"}
_FALSE = {"false", "no", "0", "n", "draft", "archived"}


class CsvError(CatalogError):
    """A file that cannot be read at all (not UTF-8, no header)."""


@dataclass(frozen=True)
class RowError:
    row: int
    message: str


@dataclass
class ImportResult:
    """What an import did; `errors` lists the rows that did not go in, and why."""

    rows: int = 0
    products_created: int = 0
    products_updated: int = 0
    variants_created: int = 0
    variants_updated: int = 0
    errors: list[RowError] = field(default_factory=list)

    def count_product(self, handle: str, change: Change, seen: dict[str, Change]) -> None:
        before = seen.get(handle)
        if before == "created" or before == change:
            return
        if change == "created":
            self.products_created += 1
        elif change == "updated":
            self.products_updated += 1
        seen[handle] = change if before is None or change != "unchanged" else before

    def add(self, other: ImportResult) -> None:
        self.products_created += other.products_created
        self.products_updated += other.products_updated
        self.variants_created += other.variants_created
        self.variants_updated += other.variants_updated

    def count_variant(self, change: Change) -> None:
        if change == "created":
            self.variants_created += 1
        elif change == "updated":
            self.variants_updated += 1


def neutralise(cell: str) -> str:
    """A cell a spreadsheet will show as text, never run as a formula."""
    return f"'{cell}" if cell.startswith(_RISKY_START) else cell


def _restore(cell: str) -> str:
    return cell[1:] if cell.startswith("'") and cell[1:].startswith(_RISKY_START) else cell


def read_rows(data: bytes) -> Iterator[tuple[int, dict[str, str]]]:
    """Each record of a CSV file as (row number, {column: stripped text}); header is row 1."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise CsvError(f"the file is not UTF-8 (byte {error.start} cannot be read): save it as 'CSV UTF-8'") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    if not reader.fieldnames:
        raise CsvError("the file is empty: the first row must name the columns")
    for number, record in enumerate(reader, start=2):
        yield number, {(key or "").strip(): (value or "").strip() if isinstance(value, str) else ""
                       for key, value in record.items() if key is not None}


def parse_bool(raw: str, what: str) -> bool | None:
    """"true"/"false" (and yes/no, 1/0, Shopify's active/draft); None when blank."""
    word = raw.strip().lower()
    if not word:
        return None
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise CatalogError(f"{what} must be true or false, not {raw!r}")


def parse_count(raw: str, what: str) -> int | None:
    """A whole number of units; None when blank."""
    if not raw.strip():
        return None
    try:
        return int(raw.strip())
    except ValueError:
        raise CatalogError(f"{what} must be a whole number, not {raw!r}") from None


def upsert_product(*, session: Session, handle: str, title: Mapping[str, str], description: Mapping[str, str],
                   image_url: str | None, active: bool | None) -> tuple[Product, Change]:
    """Create the product with this handle, or merge these texts into it; blank values keep what is there."""
    product = get_by_handle(session=session, handle=handle.strip())
    if product is None:
        if not title:
            raise CatalogError(f"{handle} is a new product: it needs a title")
        made = create_product(session=session, handle=handle, title=title, description=description,
                              image_url=image_url, active=True if active is None else active)
        return made, "created"
    merged = ({**product.title, **title}, {**product.description, **description}, image_url or product.image_url,
              product.active if active is None else active)
    if merged == (product.title, product.description, product.image_url, product.active):
        return product, "unchanged"
    updated = update_product(session=session, product_id=product.id or 0, title=merged[0], description=merged[1],
                             image_url=merged[2], active=merged[3])
    return updated, "updated"


RowHandler = Callable[[int, dict[str, str], ImportResult, dict[str, Change]], None]
"""Applies one row of a file: (row number, row, the result to count into, products seen so far)."""


def run_rows(session: Session, rows: Iterator[tuple[int, dict[str, str]]], apply: RowHandler) -> ImportResult:
    """Apply each row in a savepoint of its own: a bad row is reported, the others still go in."""
    result = ImportResult()
    seen: dict[str, Change] = {}
    for number, row in rows:
        if not any(row.values()):
            continue
        row_result, row_seen = ImportResult(), dict(seen)
        try:
            with session.begin_nested():
                apply(number, row, row_result, row_seen)
        except (CatalogError, IntegrityError) as error:
            reason = str(error) if isinstance(error, CatalogError) else "it conflicts with another product or variant"
            result.errors.append(RowError(number, reason))
        else:  # a row that rolled back counts as nothing done
            result.add(row_result)
            seen.update(row_seen)
        result.rows += 1
    return result


def _prefixed(row: Mapping[str, str], prefix: str) -> dict[str, str]:
    return {key[len(prefix):]: value for key, value in row.items() if key.startswith(prefix) and value}


class _HubRow:
    def __init__(self, session: Session) -> None:
        self.session = session

    def __call__(self, number: int, row: dict[str, str], result: ImportResult, seen: dict[str, Change]) -> None:
        row = {key: _restore(value) for key, value in row.items()}
        handle = row.get("handle", "")
        if not handle:
            raise CatalogError("the handle is empty")
        product, change = upsert_product(
            session=self.session, handle=handle, title=_prefixed(row, "title:"),
            description=_prefixed(row, "description:"), image_url=row.get("image_url") or None,
            active=parse_bool(row.get("active", ""), "active"))
        result.count_product(product.handle, change, seen)
        sku = row.get("sku", "")
        if not sku:
            return
        options: dict[str, str] = {}
        for index in range(1, 10):
            name, value = row.get(f"option{index}_name", ""), row.get(f"option{index}_value", "")
            if name and value:
                options[name] = value
        prices = {code: money.parse_amount(value, code) for code, value in _prefixed(row, "price:").items()}
        _, variant_change = upsert_variant(session=self.session, product=product, data=VariantInput(
            sku=sku, options=options, image_url=row.get("variant_image_url") or None,
            stock_on_hand=parse_count(row.get("stock_on_hand", ""), "stock_on_hand"), prices=prices))
        result.count_variant(variant_change)


def import_hub(*, session: Session, data: bytes) -> ImportResult:
    """Import Hub's own CSV format (what `export_csv` writes)."""
    return run_rows(session, read_rows(data), _HubRow(session))


def _locales(texts: list[dict[str, str]]) -> list[str]:
    found = {locale for text in texts for locale in text}
    return [*(loc for loc in _LOCALE_ORDER if loc in found), *sorted(found - set(_LOCALE_ORDER))]


def export_csv(*, session: Session) -> bytes:
    """Every product, variant, price and stock count in Hub's format, UTF-8 with a BOM (for Excel)."""
    products = list(session.exec(select(Product).order_by(col(Product.id))))
    variants = list(session.exec(select(Variant).order_by(col(Variant.product_id), col(Variant.id))))
    prices: dict[int, dict[str, int]] = {}
    for price in session.exec(select(Price)):
        prices.setdefault(price.variant_id, {})[price.currency] = price.amount_minor
    titles, descriptions = _locales([p.title for p in products]), _locales([p.description for p in products])
    option_count = max([len(v.options) for v in variants] or [0])
    currencies = sorted({code for by_code in prices.values() for code in by_code})
    header = ["handle", *(f"title:{loc}" for loc in titles), *(f"description:{loc}" for loc in descriptions),
              "image_url", "active", "sku"]
    for index in range(1, option_count + 1):
        header += [f"option{index}_name", f"option{index}_value"]
    header += ["variant_image_url", "stock_on_hand", *(f"price:{code}" for code in currencies)]
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    by_product: dict[int, list[Variant]] = {}
    for variant in variants:
        by_product.setdefault(variant.product_id, []).append(variant)
    for product in products:
        head = [product.handle, *(product.title.get(loc, "") for loc in titles),
                *(product.description.get(loc, "") for loc in descriptions), product.image_url or "",
                "true" if product.active else "false"]
        chosen: list[Variant | None] = [*by_product.get(product.id or 0, [])] or [None]
        for row_variant in chosen:
            tail = _variant_cells(row_variant, option_count, currencies, prices)
            writer.writerow([neutralise(cell) for cell in head + tail])
    return out.getvalue().encode("utf-8-sig")



def _variant_cells(variant: Variant | None, option_count: int, currencies: list[str],
                   prices: dict[int, dict[str, int]]) -> list[str]:
    if variant is None:  # a product without variants: its row has blank variant columns
        return [""] * (1 + 2 * option_count + 2 + len(currencies))
    cells = [variant.sku]
    pairs = list(variant.options.items())
    for index in range(option_count):
        cells += list(pairs[index]) if index < len(pairs) else ["", ""]
    cells += [variant.image_url or "", str(variant.stock_on_hand)]
    held = prices.get(variant.id or 0, {})
    return cells + [money.plain(held[code], code) if code in held else "" for code in currencies]
