"""`hub demo` adds a few products a sandbox customer can be sent, buy and pay for."""

from __future__ import annotations

from catalog import demo, service
from hub.runtime.db import session_scope


def test_demo_products_load_once_with_hkd_and_jpy_prices(backend):
    with session_scope() as session:
        assert demo.load(session) == len(demo.PRODUCTS)
    with session_scope() as session:
        assert demo.load(session) == 0
        shirt = service.get_by_handle(session=session, handle="linen-shirt")
        assert shirt is not None and shirt.title["ja"] == "リネンシャツ"
        variant = service.variants_of(session=session, product_ids=[shirt.id])[shirt.id][0]
        assert service.price_of(session=session, variant=variant, currency="JPY") == 4_800
        assert service.price_of(session=session, variant=variant, currency="HKD") == 29_600
