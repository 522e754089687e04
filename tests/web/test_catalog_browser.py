"""The catalog in a real browser: an agent sends a product card from the composer, the contact panel shows the
customer's cart and a paid order with its timeline (kept live), and an admin's prices typed in major units are
stored in minor units, with product titles shown as text."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from catalog import service
from hub.conversations.models import Conversation, Message
from hub.runtime.db import session_scope
from tests.catalog.factories import make_product
from tests.conftest import wait_for
from tests.factories import make_channel, make_team, make_user
from tests.web.conftest import JOB_WAIT
from tests.web.test_inbox_browser import sign_in, webhook

pytestmark = pytest.mark.browser
DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
JACKET = {"en": "Linen jacket", "zh_Hant": "亞麻外套", "ja": "リネンジャケット"}


def shots(tmp_path: Path) -> Path:
    """`HUB_SCREENSHOTS=1` writes into docs/screenshots/; otherwise the test's temporary directory."""
    return DOCS_SHOTS if os.environ.get("HUB_SCREENSHOTS") else tmp_path


def a_customer(url: str) -> tuple[int, int]:
    """A Japanese-speaking customer writing to the team's Telegram bot: (channel id, conversation id)."""
    team = make_team("Japan")
    channel = make_channel("telegram", "Telegram bot", team_ids=[team])
    make_user("yuki@shop.test", team_ids=[team])
    assert channel.id is not None
    webhook(url, channel.id, 5001)

    def conversation() -> int | None:
        with session_scope() as session:
            return session.exec(select(Conversation.id).where(Conversation.channel_id == channel.id)).first()

    return channel.id, wait_for(conversation, timeout=JOB_WAIT)


def open_first_conversation(page):  # type: ignore[no-untyped-def]
    sign_in(page, "yuki@shop.test")
    page.locator("#conversation-list li.conv a").first.click()
    expect(page.locator("#thread .msg-in")).to_have_count(1)


def test_an_agent_sends_products_from_the_composer(new_page, hub_server, page_errors, tmp_path):
    make_product("linen-jacket", JACKET, variants={"JKT-M": {"HKD": 89900, "JPY": 16800},
                                                   "JKT-L": {"HKD": 89900, "JPY": 16800}}, stock=4)
    make_product("silk-shirt", variants={"SHIRT-M": {"HKD": 12850}})  # no yen price: cannot be chosen
    _, conversation_id = a_customer(hub_server.url)
    page = new_page()
    open_first_conversation(page)
    expect(page.locator("#contact-orders")).to_contain_text("No orders yet.")
    expect(page.locator("#contact-cart")).to_contain_text("No open cart.")

    page.locator("#thread").focus()
    page.keyboard.press("p")  # the shortcut opens the picker with the search box focused
    picker = page.get_by_role("dialog", name="Send a product")
    expect(picker).to_be_visible()
    expect(page.locator("#picker-search")).to_be_focused()
    expect(picker).to_contain_text("Prices in JPY")  # a Japanese speaker's cart is in yen
    page.keyboard.press("Escape")
    expect(picker).to_be_hidden()

    page.get_by_role("button", name="Product").click()
    expect(picker).to_be_visible()
    expect(page.locator("#picker-results .picker-row")).to_have_count(3)
    expect(page.locator("#picker-results")).to_contain_text("no JPY price")
    page.locator("#picker-search").fill("JKT")
    rows = page.locator("#picker-results .picker-row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Linen jacket (M)")
    expect(rows.first).to_contain_text("¥16,800")
    expect(rows.first).to_contain_text("4 in stock")
    page.get_by_role("checkbox", name="Choose Linen jacket (M)").check()
    expect(page.locator("#picker-count")).to_have_text("1 chosen (at most 10)")
    page.screenshot(path=str(shots(tmp_path) / "catalog-composer.png"))
    page.get_by_role("button", name="Send the products").click()
    expect(picker).to_be_hidden()

    card = page.locator("#thread .msg-out .card-buttons")
    expect(card).to_be_visible()
    expect(card.locator(".card-title")).to_have_text("リネンジャケット (M)")  # in the customer's language
    expect(card).to_contain_text("￥16,800")
    expect(card.locator(".card-chip")).to_have_text(["カートに入れる", "カートを見る"])
    expect(page.locator("#thread .msg-out .tick")).to_have_attribute("aria-label", "Sent")

    page.get_by_role("button", name="Product").click()  # two at once: a product list
    expect(page.locator("#picker-search")).to_have_value("")
    page.locator("#picker-search").fill("JKT")
    expect(rows).to_have_count(2)
    page.get_by_role("checkbox", name="Choose Linen jacket (M)").check()
    page.get_by_role("checkbox", name="Choose Linen jacket (L)").check()
    page.get_by_role("button", name="Send the products").click()
    listed = page.locator("#thread .msg-out .card-list")
    expect(listed.locator(".card-row")).to_have_count(2)
    expect(listed.locator(".card-row").last).to_contain_text("リネンジャケット (L)")
    expect(listed.locator(".card-chip")).to_have_text("商品")
    with session_scope() as session:
        kinds = list(session.exec(select(Message.kind).where(Message.conversation_id == conversation_id,
                                                             Message.direction == "outbound")
                                  .order_by(Message.id)))  # type: ignore[arg-type]
    assert kinds == ["buttons", "list"]
    assert page_errors == []


def test_the_contact_panel_shows_the_cart_and_a_paid_order_with_its_timeline(new_page, hub_server, page_errors,
                                                                             tmp_path):
    variants = make_product("linen-jacket", JACKET, variants={"JKT-M": {"JPY": 16800}, "JKT-L": {"JPY": 17800}})
    _, conversation_id = a_customer(hub_server.url)
    with session_scope() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        cart = service.open_cart(session=session, contact_id=conversation.contact_id, conversation_id=conversation_id,
                                 currency="JPY")
        service.add(session=session, cart=cart, variant_id=variants["JKT-M"], quantity=2)
        order = service.checkout(session=session, cart=cart)
        service.mark_paid(session=session, order_id=order.id or 0, provider="stripe", payment_ref="cs_test_1")
        number, order_id, contact_id = order.number, order.id or 0, conversation.contact_id
        again = service.open_cart(session=session, contact_id=contact_id, conversation_id=conversation_id,
                                  currency="JPY")
        service.add(session=session, cart=again, variant_id=variants["JKT-L"])
    page = new_page()
    open_first_conversation(page)
    expect(page.locator("#contact-cart")).to_contain_text("1 × リネンジャケット (L)")  # as the customer reads it
    expect(page.locator("#contact-cart")).to_contain_text("Total: ￥17,800")
    orders = page.locator("#contact-orders li.order")
    expect(orders).to_have_count(1)
    expect(orders).to_contain_text(number)
    expect(orders.locator(".order-status")).to_have_text("Paid")
    expect(orders).to_contain_text("¥33,600")  # in the agent's English
    page.get_by_role("button", name=f"Order {number}").click()
    expect(page.get_by_role("button", name=f"Order {number}")).to_have_attribute("aria-expanded", "true")
    timeline = orders.locator(".order-timeline li")
    expect(timeline).to_have_count(2)
    expect(timeline.first).to_contain_text("Created")
    expect(timeline.last).to_contain_text("Paid via stripe")
    expect(orders.locator(".order-lines")).to_contain_text("2 × リネンジャケット (M)")  # as the order recorded it
    page.locator("#contact-pane").evaluate("pane => { pane.scrollTop = pane.scrollHeight; }")
    page.screenshot(path=str(shots(tmp_path) / "orders.png"))

    with session_scope() as session:  # a refund elsewhere: the panel follows over the live socket
        assert service.refund(session=session, order_id=order_id, reason="changed their mind")
    expect(orders.locator(".order-status")).to_have_text("Refunded")
    expect(timeline).to_have_count(3)  # still open, with the new step
    expect(timeline.last).to_contain_text("Refunded")
    assert page_errors == []


def test_an_admin_types_prices_in_major_units_and_the_api_stores_minor_units(new_page, hub_server, page_errors):
    make_user("boss@shop.test", role="admin")
    page = new_page()
    sign_in(page, "boss@shop.test")
    page.get_by_role("link", name="Settings").click()
    page.get_by_role("link", name="Catalog").click()
    expect(page).to_have_url(re.compile(r"/admin/catalog$"))
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("#product-list")).to_contain_text("No products yet.")

    page.get_by_role("button", name="New product").click()
    page.get_by_label("Handle").fill("hack-tee")
    page.get_by_label("Title in English").fill("<img src=x onerror=alert(1)>")
    page.get_by_label("Title in Japanese").fill("Tシャツ")
    page.get_by_label("SKU", exact=True).fill("TEE-M")
    page.get_by_label("Options (size: M, colour: Red)").fill("size: M")
    page.get_by_label("Stock").fill("7")
    page.get_by_label("Price in JPY").fill("4.5")
    page.get_by_role("button", name="Save the product").click()
    expect(page.locator("#product-error")).to_have_text("JPY prices have at most 0 decimal places.")
    page.get_by_label("Price in JPY").fill("¥4,800")
    page.get_by_label("Price in HKD").fill("296.00")
    page.get_by_role("button", name="Save the product").click()
    row = page.locator("#product-list li.product-row")
    expect(row).to_have_count(1)
    expect(row.locator(".product-name")).to_have_text("<img src=x onerror=alert(1)>")
    expect(page.locator("#saved")).to_contain_text("Saved the product")
    assert page.locator("main img").count() == 0

    answer = page.request.get("/api/v1/products?q=TEE-M")
    assert answer.ok
    (product,) = answer.json()
    prices = {price["currency"]: price["amount_minor"] for price in product["variants"][0]["prices"]}
    assert prices == {"JPY": 4800, "HKD": 29600}
    assert product["variants"][0]["options"] == {"size": "M"}
    assert product["variants"][0]["stock_on_hand"] == 7

    page.get_by_role("button", name="Edit <img src=x onerror=alert(1)>").click()  # edit: HK$296.00 shows as typed
    expect(page.get_by_label("Price in HKD")).to_have_value("296.00")
    expect(page.get_by_label("Price in JPY")).to_have_value("4800")
    page.get_by_label("Price in HKD").fill("310.5")
    page.get_by_role("button", name="Save the product").click()
    expect(page.locator("#product-form")).to_be_hidden()
    (product,) = page.request.get("/api/v1/products?q=TEE-M").json()
    assert {p["currency"]: p["amount_minor"] for p in product["variants"][0]["prices"]} == {"JPY": 4800, "HKD": 31050}

    page.get_by_label("CSV file").set_input_files(files=[{
        "name": "products.csv", "mimeType": "text/csv",
        "buffer": b"handle,title:en,sku,stock_on_hand,price:HKD,price:JPY\n"
                  b"good,Good,GOOD-1,3,10.00,1000\nbad-jpy,Bad yen,BAD-2,1,,10.5\n"}])
    page.get_by_role("button", name="Import", exact=True).click()
    result = page.locator("#import-result")
    expect(result).to_contain_text("2 rows read: 1 products created")
    expect(result.locator(".import-errors li")).to_have_count(1)
    expect(result.locator(".import-errors li")).to_contain_text("Row 3:")
    expect(page.locator("#product-list li.product-row")).to_have_count(2)
    export = page.request.get("/api/v1/products/export.csv")
    assert export.ok and "GOOD-1" in export.text()
    assert page.get_by_role("link", name="Export every product as CSV").get_attribute("href") == \
        "/api/v1/products/export.csv"
    assert page_errors == []


def test_agents_cannot_open_the_catalog_page(new_page, hub_server, page_errors):
    make_user("yuki@shop.test")
    page = new_page()
    sign_in(page, "yuki@shop.test")
    answer = page.goto("/admin/catalog")
    assert answer is not None and answer.status == 403
    expect(page.locator("h1")).to_have_text("Not allowed")
