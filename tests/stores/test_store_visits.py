"""Every coupon Hub hands out has its row: a broadcast's recipients at launch, a journey run's coupon step.
A coupon redeemed at a store converts its recipient and counts as a store visit of its campaign, per store."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi.testclient import TestClient
from sqlmodel import select

from catalog.stores import coupons
from catalog.stores.models import Coupon
from flows.campaigns import listeners, personalise, service
from flows.campaigns.models import Recipient
from hub.composition import create_app
from hub.runtime.db import session_scope
from tests.factories import make_channel, make_user, token_for
from tests.stores.factories import make_contact, make_store

NOW = datetime(2025, 3, 3, 3, 0, tzinfo=UTC)


def test_a_broadcasts_coupons_are_redeemed_in_store_and_counted_as_store_visits(backend):
    channel = make_channel(kind="whatsapp_meta", name="WA HK", marketing_consent_required=False).id or 0
    people = [make_contact(f"+8529100000{n}", f"客人 {n}") for n in range(3)]
    with session_scope() as session:
        campaign = service.create(session=session, data={
            "name": "Spring 九折", "channel_ids": [channel], "coupon_prefix": "SP", "quiet_start": None,
            "quiet_end": None, "variants": [{"name": "A", "text": "{{ coupon }} {{ coupon_url }}"}]})
        campaign_id = campaign.id or 0
        assert service.launch(session=session, campaign_id=campaign_id, now=NOW)
    with session_scope() as session:
        recipients = {r.contact_id: r for r in session.exec(select(Recipient))}
        rows = {c.contact_id: c for c in session.exec(select(Coupon))}
        assert set(rows) == set(people)
        assert all(rows[p].code == recipients[p].coupon_code and rows[p].campaign_id == campaign_id
                   and rows[p].offer == "Spring 九折" and rows[p].state == "issued" for p in people)
        text = personalise.render("{{ coupon }} {{ coupon_url }}", personalise.context_for(
            campaign, personalise.ContactFields.of(None, recipients[people[0]].coupon_code)))
    code = rows[people[0]].code
    assert text == f"{code} {coupons.page_url(code)}" and "/c/" + code + "/" in text

    make_user("boss@shop.test", role="admin")
    store_id = make_store()
    with TestClient(create_app()) as client:
        admin = token_for(client, "boss@shop.test")
        assert client.post("/api/v1/coupons/redeem", json={"code": code, "store_id": store_id},
                           headers=admin).status_code == 200
        assert listeners.track_redemption(campaign_id, people[0]) == 1  # the listener's job, as the worker runs it
        assert listeners.track_redemption(campaign_id, people[0]) == 0  # once
        numbers = client.get(f"/api/v1/campaigns/{campaign_id}/stats", headers=admin).json()
    assert (numbers["converted"], numbers["store_visits"]) == (1, 1)
    assert numbers["stores"] == [{"store_id": store_id, "store_name": "Causeway Bay", "visits": 1}]
    assert numbers["store_visits_rate"] == round(1 / 3, 4)


def test_issuing_again_hands_back_the_same_coupon(backend):
    contact = make_contact()
    issue = coupons.Issue(source_key="journey:7:coupon", contact_id=contact, prefix="COMEBACK10-",
                          source=coupons.CouponSource.journey, flow_id=3, run_id=7)
    with session_scope() as session:
        first = coupons.issue(session=session, issue=issue)
    with session_scope() as session:
        again = coupons.issue(session=session, issue=issue)
        assert again.code == first.code and again.code.startswith("COMEBACK10-")
        assert len(session.exec(select(Coupon)).all()) == 1
