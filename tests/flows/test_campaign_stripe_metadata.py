"""An order checked out by a customer who came from a campaign names the campaign from the start, so the
Stripe Checkout Session's metadata (and the shop's Stripe dashboard) tells the same story (issue 13 item 13b)."""

from __future__ import annotations

from datetime import timedelta

from catalog import orders
from catalog.models import Order
from catalog.payments.stripe_checkout import checkout_metadata
from flows.campaigns import listeners, tracking
from flows.campaigns.models import Campaign, Recipient
from hub import composition
from hub.runtime.db import session_scope, utcnow
from tests.catalog.factories import make_customer, make_product, order_from_cart


def test_an_order_from_a_campaign_click_carries_the_campaign_into_stripe_metadata(backend, monkeypatch):
    monkeypatch.setattr(orders, "ATTRIBUTION", [])
    monkeypatch.setattr(listeners.events, "subscribe", lambda *a: None)  # the rest is wired once per process
    monkeypatch.setattr(listeners.events, "subscribe_batch", lambda *a: None)
    composition.wire()  # what the app and the worker do at start
    assert [tracking.engaged_campaign] == orders.ATTRIBUTION
    ids = make_product(variants={"JACKET-M": {"HKD": 29600}})
    clicked, stranger = make_customer("陳大文"), make_customer("Kim")
    with session_scope() as session:
        campaign = Campaign(name="spring", channel_ids=[clicked.channel_id], status="done", attribution_hours=72)
        session.add(campaign)
        session.flush()
        session.add(Recipient(campaign_id=campaign.id or 0, contact_id=clicked.contact_id, state="sent",
                              sent_at=utcnow() - timedelta(hours=2), clicked_at=utcnow() - timedelta(hours=1)))
        old = Campaign(name="winter", channel_ids=[stranger.channel_id], status="done", attribution_hours=24)
        session.add(old)
        session.flush()  # clicked long ago: outside its window
        session.add(Recipient(campaign_id=old.id or 0, contact_id=stranger.contact_id, state="sent",
                              clicked_at=utcnow() - timedelta(days=3)))
        campaign_id = campaign.id
    from_campaign = order_from_cart(clicked, {ids["JACKET-M"]: 1})
    not_from_one = order_from_cart(stranger, {ids["JACKET-M"]: 1})
    with session_scope() as session:
        order = session.get(Order, from_campaign)
        assert order is not None and order.campaign_id == campaign_id
        metadata = checkout_metadata(order)
        assert metadata["campaign_id"] == str(campaign_id)
        assert metadata["conversation_id"] == str(clicked.conversation_id)
        other = session.get(Order, not_from_one)
        assert other is not None and "campaign_id" not in checkout_metadata(other)
