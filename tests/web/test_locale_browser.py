"""A Japanese customer on the Japanese WhatsApp number, in real browsers (issue 13, items 1 and 2): they write
from the sandbox phone, the agent's picker shows yen, and the card, cart, "Pay now" button, the sandbox checkout
page and the payment confirmation reach them in Japanese with ¥ prices. `HUB_SCREENSHOTS=1` refreshes the
README's product-card-ja.png and checkout-ja.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from catalog.models import Order, Product
from hub.contacts.models import Contact
from hub.runtime.db import session_scope
from tests.catalog.factories import make_product
from tests.conftest import wait_for
from tests.factories import make_channel, make_team, make_user
from tests.web.conftest import JOB_WAIT
from tests.web.test_catalog_browser import shots
from tests.web.test_inbox_browser import sign_in

pytestmark = pytest.mark.browser
JACKET = {"en": "Linen jacket", "zh_Hant": "亞麻外套", "ja": "リネンジャケット"}
JACKET_TEXT = {"en": "Breathable Japanese linen.", "zh_Hant": "透氣日本亞麻。", "ja": "通気性のよい日本製リネン。"}


def test_a_japanese_whatsapp_customer_shops_in_japanese_and_yen(new_page, hub_server, page_errors, tmp_path):
    team = make_team("Japan")
    channel = make_channel("whatsapp_meta", "WhatsApp Japan", team_ids=[team], config={"market": "JP"})
    make_user("yuki@shop.test", team_ids=[team])
    make_product("linen-jacket", JACKET, variants={"JKT-M": {"HKD": 89900, "JPY": 16800}}, stock=4)
    with session_scope() as session:
        found = session.exec(select(Product).where(Product.handle == "linen-jacket")).one()
        found.description = JACKET_TEXT
        session.add(found)

    phone = new_page(390, 780, locale="ja-JP")
    phone.goto(f"/sandbox/phone/{channel.id}")
    phone.locator("#customer").fill("+819012345678")
    phone.locator("#customer").dispatch_event("change")
    phone.locator("#name").fill("鈴木花子")
    phone.locator("#text").fill("リネンのジャケットはありますか？")
    phone.locator("#send").click()
    expect(phone.locator("#thread .bubble.customer")).to_have_count(1)

    def contact_locale() -> tuple[str | None, str | None] | None:
        with session_scope() as session:
            contact = session.exec(select(Contact)).first()
            return (contact.locale, contact.timezone) if contact else None

    assert wait_for(contact_locale, timeout=JOB_WAIT) == ("ja", "Asia/Tokyo")  # Meta sends no locale: inferred

    agent = new_page()
    sign_in(agent, "yuki@shop.test")
    agent.locator("#conversation-list li.conv a").first.click()
    expect(agent.locator("#thread .msg-in")).to_have_count(1)
    agent.get_by_role("button", name="Product").click()
    picker = agent.get_by_role("dialog", name="Send a product")
    expect(picker).to_contain_text("Prices in JPY")  # the channel's price list, as the customer will see it
    rows = agent.locator("#picker-results .picker-row")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("¥16,800")
    agent.get_by_role("checkbox", name="Choose Linen jacket (M)").check()
    agent.get_by_role("button", name="Send the products").click()
    expect(picker).to_be_hidden()

    card = phone.locator("#thread .bubble.shop").last
    expect(card).to_contain_text("リネンジャケット (M)")
    expect(card).to_contain_text("￥16,800")
    expect(card).to_contain_text("通気性のよい日本製リネン。")
    expect(card.get_by_role("button", name="カートに入れる")).to_be_visible()
    expect(card.get_by_role("button", name="カートを見る")).to_be_visible()
    expect(card.locator(".meta")).to_contain_text("✓✓")  # delivered: the screenshot shows no pending clock
    phone.screenshot(path=str(shots(tmp_path) / "product-card-ja.png"))

    card.get_by_role("button", name="カートに入れる").click()
    cart = phone.locator("#thread .bubble.shop").nth(1)
    expect(cart).to_contain_text("カートに追加しました。")
    expect(cart).to_contain_text("カートの中身")
    expect(cart).to_contain_text("合計: ￥16,800")
    cart.get_by_role("button", name="購入手続きへ").click()
    offer = phone.locator("#thread .bubble.shop").nth(2)
    expect(offer).to_contain_text("ご注文")
    expect(offer).to_contain_text("￥16,800")
    pay = offer.get_by_role("link", name="今すぐ支払う")
    expect(pay).to_be_visible()
    link = pay.get_attribute("href")
    assert link and link.startswith(hub_server.url + "/sandbox/checkout/")

    checkout = new_page(390, 640, locale="ja-JP")
    checkout.goto(link)
    expect(checkout.locator("html")).to_have_attribute("lang", "ja")
    expect(checkout.locator("h1")).to_have_text("テスト決済")
    expect(checkout.locator("main")).to_contain_text("1 × リネンジャケット (M) — ￥16,800")
    expect(checkout.locator("main")).to_contain_text("合計：￥16,800")
    checkout.screenshot(path=str(shots(tmp_path) / "checkout-ja.png"))
    checkout.get_by_role("button", name="支払う（テスト）").click()
    expect(checkout.locator("main")).to_contain_text("お支払いを受け付けました")

    confirmation = phone.locator("#thread .bubble.shop").nth(3)
    expect(confirmation).to_contain_text("ありがとうございます。ご注文")
    expect(confirmation).to_contain_text("合計：￥16,800")
    with session_scope() as session:
        order = session.exec(select(Order)).one()
        assert (order.status, order.currency, order.total_minor) == ("paid", "JPY", 16800)

    # staff switch the customer to English in the contact panel: the next card is in English, still in yen
    prefs = agent.locator("#contact-prefs")
    expect(prefs.locator("#contact-locale option").first).to_have_text("Automatic (日本語)")
    expect(prefs.locator("#contact-timezone")).to_have_value("Asia/Tokyo")
    prefs.locator("#contact-timezone").fill("Mars/Base")
    prefs.get_by_role("button", name="Save").click()
    expect(prefs.locator("#contact-prefs-status")).to_contain_text("is not a time zone")
    prefs.locator("#contact-timezone").fill("Asia/Tokyo")
    prefs.locator("#contact-locale").select_option("en")
    prefs.get_by_role("button", name="Save").click()
    expect(prefs.locator("#contact-prefs-status")).to_have_text("Saved.")
    assert contact_locale() == ("en", "Asia/Tokyo")
    agent.get_by_role("button", name="Product").click()
    agent.get_by_role("checkbox", name="Choose Linen jacket (M)").check()
    agent.get_by_role("button", name="Send the products").click()
    english = phone.locator("#thread .bubble.shop").nth(4)
    expect(english).to_contain_text("Linen jacket (M)")
    expect(english).to_contain_text("¥16,800")
    expect(english.get_by_role("button", name="Add to cart")).to_be_visible()
    # the browser logs the refused time zone's 422 itself; nothing else went wrong
    assert [error for error in page_errors if "422 (Unprocessable" not in error] == []
