"""Products, variants, prices and stock; search in any language; carts priced from the catalog."""

import pytest
from sqlalchemy.exc import IntegrityError

from catalog import service
from catalog.models import Variant
from hub.runtime.db import session_scope
from tests.catalog.factories import make_customer, make_product


def test_search_finds_a_product_by_a_title_in_any_language_or_by_sku(backend):
    make_product("silk-shirt", variants={"SHIRT-M": {"HKD": 12850}})
    make_product("linen-tote", {"en": "Linen tote", "ja": "リネントートバッグ"}, variants={"TOTE-1": {"JPY": 3800}})
    with session_scope() as session:
        def handles(q):
            return [p.handle for p in service.list_products(session=session, q=q)]

        assert handles("絲質") == ["silk-shirt"]
        assert handles("トート") == ["linen-tote"]
        assert handles("LINEN") == ["linen-tote"]
        assert handles("shirt-m") == ["silk-shirt"]
        assert handles("100%") == []


def test_a_variant_without_a_price_in_a_currency_says_so(backend):
    ids = make_product(variants={"SHIRT-M": {"HKD": 12850}})
    with session_scope() as session:
        variant = session.get(Variant, ids["SHIRT-M"])
        assert service.price_of(session=session, variant=variant, currency="hkd") == 12850
        with pytest.raises(service.NoPrice, match="SHIRT-M has no price in USD"):
            service.price_of(session=session, variant=variant, currency="USD")


def test_handles_and_skus_are_checked(backend):
    make_product("silk-shirt")
    with session_scope() as session, pytest.raises(service.CatalogError, match="taken"):
        service.create_product(session=session, handle="silk-shirt", title={"en": "Again"})
    with session_scope() as session, pytest.raises(service.CatalogError, match="not a handle"):
        service.create_product(session=session, handle="Silk Shirt!", title={"en": "Shirt"})
    with session_scope() as session, pytest.raises(service.CatalogError, match="belongs to another product"):
        service.create_product(session=session, handle="other", title={"en": "Other"},
                               variants=[service.VariantInput(sku="SHIRT-M")])


def test_stock_can_never_be_counted_below_what_pending_orders_hold(backend):
    ids = make_product(stock=3)
    customer = make_customer()
    with session_scope() as session:
        cart = service.open_cart(session=session, contact_id=customer.contact_id,
                                 conversation_id=customer.conversation_id, currency="HKD")
        service.add(session=session, cart=cart, variant_id=ids["SHIRT-M"], quantity=2)
        service.checkout(session=session, cart=cart)
    with session_scope() as session:
        variant = session.get(Variant, ids["SHIRT-M"])
        with pytest.raises(service.CatalogError, match="pending orders hold 2"):
            service.set_stock(session=session, variant=variant, on_hand=1)
        assert service.set_stock(session=session, variant=variant, on_hand=2) is True
    with pytest.raises(IntegrityError), session_scope() as session:  # the CHECK constraint backs it up
        variant = session.get(Variant, ids["SHIRT-M"])
        variant.stock_reserved = 5
        session.add(variant)
        session.flush()


def test_a_cart_is_priced_from_the_catalog_in_the_customers_language(backend):
    ids = make_product(variants={"SHIRT-S": {"HKD": 12850}, "SHIRT-M": {"HKD": 13000}})
    customer = make_customer()
    with session_scope() as session:
        cart = service.open_cart(session=session, contact_id=customer.contact_id,
                                 conversation_id=customer.conversation_id, currency="HKD")
        service.add(session=session, cart=cart, variant_id=ids["SHIRT-S"], quantity=2)
        service.add(session=session, cart=cart, variant_id=ids["SHIRT-M"])
        service.add(session=session, cart=cart, variant_id=ids["SHIRT-S"])
        seen = service.view(session=session, cart=cart, locale="zh_Hant_HK")
        assert [(line.title, line.quantity, line.line_minor) for line in seen.lines] == [
            ("絲質襯衫 (S)", 3, 38550), ("絲質襯衫 (M)", 1, 13000)]
        assert seen.total_minor == 51550
        assert seen.display(seen.total_minor) == "HK$515.50"
        service.set_quantity(session=session, cart=cart, variant_id=ids["SHIRT-S"], quantity=0)
        assert [line.sku for line in service.view(session=session, cart=cart, locale="ja").lines] == ["SHIRT-M"]
        assert service.view(session=session, cart=cart, locale="ja").lines[0].title == "シルクシャツ (M)"


def test_one_open_cart_per_contact_and_conversation(backend):
    ids = make_product()
    customer = make_customer()
    with session_scope() as session:
        first = service.open_cart(session=session, contact_id=customer.contact_id,
                                  conversation_id=customer.conversation_id, currency="JPY")
        again = service.open_cart(session=session, contact_id=customer.contact_id,
                                  conversation_id=customer.conversation_id, currency="HKD")
        assert again.id == first.id and again.currency == "HKD"  # an empty cart may change currency
        service.add(session=session, cart=again, variant_id=ids["SHIRT-M"])
        with pytest.raises(service.CartError, match="in HKD"):
            service.open_cart(session=session, contact_id=customer.contact_id,
                              conversation_id=customer.conversation_id, currency="JPY")
        elsewhere = service.open_cart(session=session, contact_id=customer.contact_id, conversation_id=None,
                                      currency="HKD")
        assert elsewhere.id != first.id


def test_a_cart_refuses_more_than_is_in_stock_or_items_without_a_price(backend):
    ids = make_product(variants={"SHIRT-M": {"HKD": 12850}}, stock=2)
    customer = make_customer()
    with session_scope() as session:
        cart = service.open_cart(session=session, contact_id=customer.contact_id,
                                 conversation_id=customer.conversation_id, currency="HKD")
        with pytest.raises(service.OutOfStock, match="only 2 left"):
            service.add(session=session, cart=cart, variant_id=ids["SHIRT-M"], quantity=3)
        usd = service.open_cart(session=session, contact_id=customer.contact_id, conversation_id=None,
                                currency="USD")
        with pytest.raises(service.NoPrice):
            service.add(session=session, cart=usd, variant_id=ids["SHIRT-M"])
