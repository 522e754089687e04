"""Product messages for the composer: one product is a card with buttons, several are a list."""

import pytest

from catalog import chat, service
from catalog.errors import CatalogError, NoPrice
from catalog.models import Product
from hub.channel_records.models import Channel
from hub.conversations.models import Conversation
from hub.runtime.db import session_scope
from tests.catalog.factories import make_customer, make_product


def _message(variant_ids, locale, currency):
    with session_scope() as session:
        return chat.product_message(session=session, variant_ids=variant_ids, locale=locale, currency=currency)


@pytest.mark.parametrize(("locale", "currency", "title", "price", "add"), [
    ("zh_Hant", "HKD", "絲質襯衫 (M)", "HK$128.50", "加入購物車"),
    ("ja", "JPY", "シルクシャツ (M)", "￥2,400", "カートに入れる"),
    ("en", "HKD", "Silk shirt (M)", "HK$128.50", "Add to cart"),
])
def test_one_product_is_a_card_with_its_image_price_and_cart_buttons(backend, locale, currency, title, price, add):
    ids = make_product()
    with session_scope() as session:
        product = session.get(Product, 1)
        product.image_url = "https://cdn.shop.test/shirt.jpg"
        session.add(product)
    variant_id = ids["SHIRT-M"]
    kind, text, payload = _message([variant_id], locale, currency)
    assert kind == "buttons"
    assert text.splitlines()[0] == price
    assert payload["header"] == title
    assert (payload["media_url"], payload["media_type"]) == ("https://cdn.shop.test/shirt.jpg", "image")
    assert [b["id"] for b in payload["buttons"]] == [f"cart:add:{variant_id}", "cart:view"]
    assert payload["buttons"][0]["title"] == add


def test_several_products_are_a_list_with_one_row_each_priced_in_the_currency(backend):
    title = {"en": "Hand-woven cashmere travel scarf", "ja": "手織りカシミヤの旅行用ストール"}
    ids = make_product(handle="scarf", title=title,
                       variants={"SCARF-S": {"JPY": 4800, "HKD": 29600}, "SCARF-L": {"JPY": 6800, "HKD": 39900}})
    small, large = ids["SCARF-S"], ids["SCARF-L"]
    kind, text, payload = _message([small, large], "ja", "JPY")
    assert kind == "list" and text == "カートに入れる商品を選んでください。"
    assert [row["id"] for row in payload["buttons"]] == [f"cart:add:{small}", f"cart:add:{large}"]
    assert [row["description"] for row in payload["buttons"]] == ["￥4,800", "￥6,800"]
    assert payload["buttons"][0]["title"] == "手織りカシミヤの旅行用ストール (S)"
    kind, _, payload = _message([small, large], "en", "HKD")
    assert [row["description"] for row in payload["buttons"]] == ["HK$296.00", "HK$399.00"]
    assert all(len(row["title"]) <= chat.ROW_TITLE for row in payload["buttons"])
    assert [row["title"] for row in payload["buttons"]] == ["Hand-woven cashmere… (S)", "Hand-woven cashmere… (L)"]


def test_a_product_message_refuses_too_many_rows_and_missing_prices(backend):
    ids = make_product(variants={f"SHIRT-{n}": {"HKD": 1000 + n} for n in range(11)})
    with pytest.raises(CatalogError, match="at most 10"):
        _message(list(ids.values()), "en", "HKD")
    with pytest.raises(NoPrice):
        _message([ids["SHIRT-1"]], "ja", "JPY")
    with pytest.raises(CatalogError, match="at least one"):
        _message([], "en", "HKD")


def test_the_cart_currency_follows_the_channel_then_the_contacts_language(backend):
    japanese, cantonese = make_customer("鈴木花子", "ja"), make_customer("陳大文", "zh_Hant")
    with session_scope() as session:
        def currency(customer):
            return chat.currency_for(session=session, conversation=session.get(Conversation, customer.conversation_id))

        assert (currency(japanese), currency(cantonese)) == ("JPY", "HKD")
        channel = session.get(Channel, cantonese.channel_id)
        channel.config = {**channel.config, "currency": "usd"}
        session.add(channel)
        session.flush()
        assert currency(cantonese) == "USD"
        service.open_cart(session=session, contact_id=japanese.contact_id, conversation_id=japanese.conversation_id,
                          currency="HKD")
        assert currency(japanese) == "HKD"  # an open cart keeps its own currency


def test_three_sizes_of_a_long_named_dress_are_three_distinct_rows_on_whatsapp_and_sms(backend):
    """The title gives way, never the size: three rows a customer can tell apart (WhatsApp rows hold 24)."""
    from channels.meta.render import render as meta_render
    from channels.twilio.render import create_arguments
    from channels.types import ChannelConfig, IdentityRef
    from hub.conversations.models import Message
    from hub.conversations.outbound import as_outbound

    ids = make_product(handle="long-dress", title={"en": "Silk dress with a very long name"},
                       variants={"DRESS-S": {"HKD": 68000}, "DRESS-M": {"HKD": 68000}, "DRESS-XL": {"HKD": 72000}})
    kind, text, payload = _message(list(ids.values()), "en", "HKD")
    stored = Message(conversation_id=1, channel_id=1, direction="outbound", kind=kind, text=text, payload=payload)

    rows = meta_render(as_outbound(stored, IdentityRef("phone", "+85291234567")))["interactive"]["action"]
    titles = [row["title"] for row in rows["sections"][0]["rows"]]
    assert titles == ["Silk dress with a v… (S)", "Silk dress with a v… (M)", "Silk dress with a… (XL)"]
    assert all(len(title) <= 24 for title in titles)

    sms = ChannelConfig(id=1, kind="sms_twilio", config={"from_number": "+14155552345"})
    body = create_arguments(sms, as_outbound(stored, IdentityRef("phone", "+85291234567")), whatsapp=False)["body"]
    assert "1. Silk dress with a v… (S) (HK$680.00)\n2. Silk dress with a v… (M) (HK$680.00)" in body


def test_one_product_card_links_to_its_short_public_page(backend):
    ids = make_product()
    _, _, payload = _message([ids["SHIRT-M"]], "en", "HKD")
    assert payload["link"] == f"/p/{ids['SHIRT-M']}"
