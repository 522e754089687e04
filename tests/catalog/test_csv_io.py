"""CSV in and out: Shopify's export, Hub's own format, CJK text, bad rows and spreadsheet formulas."""

import csv
import io
from pathlib import Path

import pytest
from sqlmodel import delete, select

from catalog import service
from catalog.csv_io import CsvError, RowError, export_csv, import_hub, neutralise
from catalog.models import Price, Product, Variant
from catalog.shopify_csv import html_to_text, import_shopify
from hub.runtime.db import session_scope
from tests.catalog.factories import make_product

SHOPIFY = Path(__file__).parent.parent / "fixtures" / "catalog" / "shopify_products.csv"


def snapshot():
    """Every product with its variants, prices and stock, keyed by handle and SKU."""
    with session_scope() as session:
        products = {p.id: p for p in session.exec(select(Product))}
        prices = {}
        for price in session.exec(select(Price)):
            prices.setdefault(price.variant_id, {})[price.currency] = price.amount_minor
        return {
            p.handle: (p.title, p.description, p.image_url, p.active, sorted(
                (v.sku, v.options, v.image_url, v.stock_on_hand, prices.get(v.id, {}))
                for v in session.exec(select(Variant).where(Variant.product_id == p.id))))
            for p in products.values()
        }


def rows_of(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_shopify_import_reads_variants_continuation_rows_and_cjk_titles(backend):
    with session_scope() as session:
        result = import_shopify(session=session, data=SHOPIFY.read_bytes(), currency="HKD", locale="zh_Hant")
    assert (result.rows, result.products_created, result.variants_created) == (4, 2, 3)
    assert result.errors == [RowError(6, "12.345 HKD is finer than the currency's smallest unit")]
    got = snapshot()
    assert set(got) == {"silk-shirt", "linen-tote"}
    title, description, image, active, variants = got["silk-shirt"]
    assert title == {"zh_Hant": "絲質襯衫 Silk Shirt"}
    assert description == {"zh_Hant": "100% 桑蠶絲，輕盈透氣。\nMachine wash cold."}
    assert (image, active) == ("https://cdn.example.test/silk-shirt.jpg", True)
    assert variants == [
        ("SHIRT-M-RED", {"Size": "M", "Colour": "紅 Red"}, None, 0, {"HKD": 13800}),
        ("SHIRT-S-RED", {"Size": "S", "Colour": "紅 Red"}, "https://cdn.example.test/silk-shirt-red.jpg", 4,
         {"HKD": 12850}),
    ]
    assert got["linen-tote"][0] == {"zh_Hant": "リネントートバッグ"}
    assert got["linen-tote"][4] == [("linen-tote", {}, None, 12, {"HKD": 9500})]
    with session_scope() as session:
        again = import_shopify(session=session, data=SHOPIFY.read_bytes(), currency="HKD", locale="zh_Hant")
    assert (again.products_created, again.products_updated, again.variants_created, again.variants_updated) == (
        0, 0, 0, 0)
    assert snapshot() == got


def test_a_second_language_merges_into_the_same_products(backend):
    with session_scope() as session:
        import_shopify(session=session, data=SHOPIFY.read_bytes(), currency="HKD", locale="zh_Hant")
    english = SHOPIFY.read_bytes().decode("utf-8-sig").replace("絲質襯衫 Silk Shirt", "Silk Shirt").encode()
    with session_scope() as session:
        result = import_shopify(session=session, data=english, currency="HKD", locale="en")
        assert result.products_updated == 2
        product = service.get_by_handle(session=session, handle="silk-shirt")
        assert product.title == {"zh_Hant": "絲質襯衫 Silk Shirt", "en": "Silk Shirt"}
        assert [p.handle for p in service.list_products(session=session, q="絲質")] == ["silk-shirt"]


def test_export_then_import_round_trips_every_product_exactly(backend):
    with session_scope() as session:
        import_shopify(session=session, data=SHOPIFY.read_bytes(), currency="HKD", locale="zh_Hant")
    make_product("yukata", {"ja": "浴衣", "en": "Yukata"}, variants={"YUKATA-L": {"JPY": 12800, "HKD": 68000}})
    before = snapshot()
    with session_scope() as session:
        data = export_csv(session=session)
    rows = rows_of(data)
    by_sku = {row["sku"]: row for row in rows}
    assert by_sku["SHIRT-S-RED"]["title:zh_Hant"] == "絲質襯衫 Silk Shirt"
    assert (by_sku["SHIRT-S-RED"]["price:HKD"], by_sku["YUKATA-L"]["price:JPY"]) == ("128.50", "12800")
    with session_scope() as session:
        same = import_hub(session=session, data=data)
    assert (same.errors, same.products_created, same.products_updated, same.variants_updated) == ([], 0, 0, 0)
    with session_scope() as session:
        session.exec(delete(Product))  # type: ignore[call-overload]
    assert snapshot() == {}
    with session_scope() as session:
        fresh = import_hub(session=session, data=data)
    assert (fresh.errors, fresh.products_created, fresh.variants_created) == ([], 3, 4)
    assert snapshot() == before


def test_export_neutralises_formulas_and_import_restores_them(backend):
    make_product("formula", {"en": "=HYPERLINK(\"http://evil.test\",\"click\")"},
                 variants={"@SKU": {"HKD": 100}, "+SKU": {"HKD": 100}, "-SKU": {"HKD": 100}})
    with session_scope() as session:
        data = export_csv(session=session)
    rows = rows_of(data)
    assert {row["sku"] for row in rows} == {"'@SKU", "'+SKU", "'-SKU"}
    assert rows[0]["title:en"].startswith("'=HYPERLINK")
    before = snapshot()
    with session_scope() as session:
        session.exec(delete(Product))  # type: ignore[call-overload]
    with session_scope() as session:
        assert import_hub(session=session, data=data).errors == []
    assert snapshot() == before
    assert neutralise("128.50") == "128.50"


def test_bad_rows_are_reported_by_number_and_the_rest_goes_in(backend):
    data = (
        b"handle,title:en,sku,stock_on_hand,price:HKD,price:JPY\n"
        b"good,Good,GOOD-1,3,10.00,1000\n"
        b",No handle,NOPE-1,1,1.00,\n"
        b"bad-stock,Bad stock,BAD-1,lots,1.00,\n"
        b"bad-jpy,Bad yen,BAD-2,1,,10.5\n"
        b"new-without-title,,NEW-1,1,,\n"
        b"good,,GOOD-2,-1,1.00,\n"
    )
    with session_scope() as session:
        result = import_hub(session=session, data=data)
    assert [e.row for e in result.errors] == [3, 4, 5, 6, 7]
    assert "handle is empty" in result.errors[0].message
    assert "whole number" in result.errors[1].message
    assert "10.5 JPY" in result.errors[2].message
    assert "needs a title" in result.errors[3].message
    assert "negative" in result.errors[4].message
    assert snapshot() == {"good": ({"en": "Good"}, {}, None, True, [("GOOD-1", {}, None, 3, {"HKD": 1000,
                                                                                          "JPY": 1000})])}


def test_files_that_are_not_utf8_are_refused_whole(backend):
    with session_scope() as session, pytest.raises(CsvError, match="not UTF-8"):
        import_hub(session=session, data="handle,title:zh_Hant\nshirt,絲質襯衫\n".encode("big5"))
    with session_scope() as session, pytest.raises(CsvError, match="empty"):
        import_hub(session=session, data=b"")


def test_shopify_html_becomes_chat_text():
    assert html_to_text("<p>A&amp;B</p><ul><li>一</li><li>二</li></ul>") == "A&B\n一\n二"
