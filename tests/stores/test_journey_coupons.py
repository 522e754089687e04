"""A journey's coupon step gives each run its own code (the step's `coupon_code` as its prefix) with a coupon row
a till can redeem, and the message names the code and the customer's coupon page; a redemption counts as a store
visit of the flow."""

from __future__ import annotations

from sqlmodel import select

from catalog.stores import coupons
from catalog.stores.models import Coupon
from flows.journeys import service
from flows.journeys.stats import stats
from hub.conversations.models import Message
from hub.runtime.db import session_scope
from tests.flows.journeys_world import Shop, customer, run_jobs
from tests.flows.journeys_world import shop as shop_fixture  # noqa: F401 - the fixture `shop`
from tests.stores.factories import make_store

DEFINITION = {"trigger": {"type": "api", "config": {}}, "start": "c",
              "nodes": [{"id": "c", "type": "send_message", "config": {
                  "coupon_code": "COMEBACK10", "coupon_offer": "10% off", "coupon_valid_days": 7,
                  "text": {"en": "Use {{ coupon }}: {{ coupon_url }}",
                           "zh_Hant": "用 {{ coupon }}：{{ coupon_url }}"}}},
                  {"id": "e", "type": "end", "config": {}}],
              "edges": [{"from": "c", "port": "sent", "to": "e"}]}


def test_each_run_gets_its_own_coupon_and_its_redemption_is_a_store_visit_of_the_flow(shop: Shop) -> None:
    people = [customer(shop, user_id=700100200 + n)[0] for n in range(2)]
    with session_scope() as session:
        flow = service.create(session=session, name="Come back", definition=DEFINITION)
        service.publish(session=session, flow_id=flow.id or 0)
        for contact_id in people:
            service.start_run(session=session, flow=flow, contact_id=contact_id)
        flow_id = flow.id or 0
    shop.tick(seconds=1)
    run_jobs()
    with session_scope() as session:
        rows = session.exec(select(Coupon).order_by(Coupon.contact_id)).all()
        texts = sorted(m.text or "" for m in session.exec(select(Message).where(Message.sender == "flow")))
    assert [row.contact_id for row in rows] == sorted(people)
    assert all(row.code.startswith("COMEBACK10-") and row.flow_id == flow_id and row.source == "journey"
               and row.offer == "10% off" and row.expires_at is not None for row in rows)
    assert len({row.code for row in rows}) == 2
    assert texts == sorted(f"用 {row.code}：{coupons.page_url(row.code)}" for row in rows)

    store_id = make_store()
    with session_scope() as session:
        coupons.redeem(session=session, code=rows[0].code, store_id=store_id, user_id=None)
    with session_scope() as session:
        assert stats(session, flow_id)["store_visits"] == 1
