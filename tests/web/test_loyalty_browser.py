"""Loyalty in a real browser: the inbox's contact panel shows the customer's points, tier, the way to the next
tier and the latest entries, in the agent's language; the customer's own text (a reason) stays text."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from catalog import service
from catalog.loyalty import earning, program
from hub.agents.models import User
from hub.conversations.models import Conversation
from hub.runtime.db import session_scope
from tests.catalog.factories import make_product
from tests.loyalty.factories import set_rules, set_tiers
from tests.web.test_catalog_browser import a_customer, open_first_conversation

pytestmark = pytest.mark.browser


def test_the_contact_panel_shows_points_and_tier_in_the_agents_language(new_page, hub_server, page_errors):
    set_rules(JPY=(1, 100))
    set_tiers(Silver=100, Gold=500)
    variant = make_product("linen-jacket", variants={"JKT-M": {"JPY": 16800}})["JKT-M"]
    _, conversation_id = a_customer(hub_server.url)
    with session_scope() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        cart = service.open_cart(session=session, contact_id=conversation.contact_id, conversation_id=conversation_id,
                                 currency="JPY")
        service.add(session=session, cart=cart, variant_id=variant)
        order = service.checkout(session=session, cart=cart)
        service.mark_paid(session=session, order_id=order.id or 0, provider="stripe", payment_ref="cs_loyal")
    with session_scope() as session:
        earning.earn_for_order(session=session, order_id=order.id or 0)  # the listener's job may run it too
        program.adjust(session=session, actor_id=None, contact_id=conversation.contact_id, points=20,
                       reason="<b>お詫び</b>", key="sorry")
    page = new_page()
    open_first_conversation(page)
    panel = page.locator("#contact-loyalty")
    expect(panel.locator(".loyalty-balance")).to_have_text("188 points")
    expect(panel.locator(".loyalty-tier")).to_have_text("Tier: Silver")
    expect(panel.locator(".loyalty-benefits")).to_contain_text("Silver benefit")
    expect(panel.locator(".loyalty-next")).to_have_text("312 more qualifying points to Gold")
    expect(panel.locator(".loyalty-entries li").first).to_contain_text("<b>お詫び</b>")  # text, not markup
    expect(panel.locator(".loyalty-entries li[data-kind=earn]")).to_contain_text("+168")
    with session_scope() as session:
        agent = session.exec(select(User).where(User.email == "yuki@shop.test")).one()
        agent.locale = "ja"
    page.reload()
    expect(page.locator("#contact-loyalty .loyalty-balance")).to_have_text("188 ポイント")
    expect(page.locator("#contact-loyalty .loyalty-tier")).to_have_text("ランク：Silver")
    assert page_errors == []
