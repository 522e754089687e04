"""The sandbox customer phone on Telegram, in a real browser: a product arrives as a photo with its buttons, a
tap is answered (answerCallbackQuery), and checkout is an invoice drawn as a Telegram client draws it (title,
the amount with its currency symbol, a Pay button). Paying runs Telegram's real path through Hub's webhook
(pre_checkout_query, answerPreCheckoutQuery, successful_payment) and the order shows paid in the inbox."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect
from sqlmodel import select

from catalog.models import Order, Product
from hub.conversations.models import Conversation
from hub.runtime.db import session_scope
from tests.catalog.factories import make_product
from tests.conftest import wait_for
from tests.factories import make_channel, make_team, make_user, token_for
from tests.web.conftest import JOB_WAIT
from tests.web.test_inbox_browser import sign_in

pytestmark = pytest.mark.browser


def test_a_telegram_customer_sees_the_product_photo_and_pays_the_invoice(new_page, hub_server, page_errors):
    team = make_team("Hong Kong")
    channel = make_channel("telegram", "Shop bot", team_ids=[team])
    make_user("mei@shop.test", team_ids=[team])
    variant_id = make_product("silk-dress", {"en": "Silk dress"}, variants={"DRESS-M": {"HKD": 68000}})["DRESS-M"]
    image = f"{hub_server.url}/static/icon.svg"
    with session_scope() as session:
        product = session.exec(select(Product).where(Product.handle == "silk-dress")).one()
        product.image_url = image
        session.add(product)

    phone = new_page(390, 844)
    phone.goto(f"/sandbox/phone/{channel.id}")
    phone.get_by_label("Message").fill("Do you have the silk dress?")
    phone.get_by_role("button", name="Send").click()
    expect(phone.locator("article.customer")).to_contain_text("Hub got it")

    def conversation() -> int | None:
        with session_scope() as session:
            return session.exec(select(Conversation.id).where(Conversation.channel_id == channel.id)).first()

    conversation_id = wait_for(conversation, timeout=JOB_WAIT)
    with httpx.Client(base_url=hub_server.url, timeout=10) as api:
        sent = api.post(f"/api/v1/conversations/{conversation_id}/products", json={"variant_ids": [variant_id]},
                        headers=token_for(api, "mei@shop.test"))
    assert sent.status_code == 202, sent.text

    card = phone.locator("article.shop").first
    expect(card.locator("img.media")).to_have_attribute("src", image)  # sendPhoto: the picture, not plain text
    expect(card.locator(".text")).to_contain_text("Silk dress (M)")
    expect(card.locator(".text")).to_contain_text("HK$680.00")
    card.get_by_role("button", name="Add to cart").click()
    tap = phone.locator("article.customer").filter(has_text="Add to cart")
    expect(tap).to_contain_text("answered")  # answerCallbackQuery: the client's spinner stops

    cart = phone.locator("article.shop").filter(has_text="Your cart")
    cart.get_by_role("button", name="Checkout").click()
    invoice = phone.locator("article.invoice")
    expect(invoice.locator(".header")).to_have_text(re.compile(r"^Order \S+$"))
    expect(invoice.locator(".text")).to_contain_text("Silk dress (M) × 1")
    expect(invoice.locator(".amount")).to_have_text("HK$680.00")  # major units and the symbol, not 68000 HKD
    expect(invoice).not_to_contain_text("68000")
    pay = invoice.get_by_role("button", name="Pay HK$680.00")
    expect(pay).to_be_visible()
    number = invoice.locator(".header").inner_text().removeprefix("Order ")

    pay.click()
    expect(phone.locator("article.customer").filter(has_text="Pay HK$680.00")).to_contain_text("payment approved")
    expect(phone.locator("article.customer").filter(has_text="You paid HK$680.00")).to_contain_text("Hub got it")
    confirmation = phone.locator("article.shop:not(.invoice)").filter(has_text=number)
    expect(confirmation).to_have_count(1)  # the shop's confirmation, in the chat

    def paid() -> tuple[str, int, str]:
        with session_scope() as session:
            order = session.exec(select(Order).where(Order.number == number)).one()
            return order.status, order.total_minor, order.currency

    assert wait_for(lambda: paid()[0] == "paid", timeout=JOB_WAIT) and paid() == ("paid", 68000, "HKD")

    inbox = new_page()
    sign_in(inbox, "mei@shop.test")
    inbox.locator("#conversation-list li.conv a").first.click()
    orders = inbox.locator("#contact-orders li.order")
    expect(orders).to_contain_text(number)
    expect(orders.locator(".order-status")).to_have_text("Paid")
    assert page_errors == []
