"""An order checked out within 72 hours of a journey's message names that journey (`orders.flow_id`), so the
sales report can read revenue by flow; a customer the journey never wrote to, or wrote to long ago, buys
with no flow credited."""

from __future__ import annotations

from datetime import timedelta

from catalog import orders
from catalog.models import Order
from flows.journeys import attribution
from flows.journeys.models import Flow, FlowEvent, FlowRun
from hub.runtime.db import session_scope, utcnow
from tests.catalog.factories import make_customer, make_product, order_from_cart


def test_an_order_after_a_journey_message_names_the_journey(backend, monkeypatch) -> None:
    monkeypatch.setattr(orders, "FLOW_ATTRIBUTION", [])
    attribution.attribute_orders()  # the flows' record hook, as the app and the worker run it at start
    assert [attribution.engaged_flow] == orders.FLOW_ATTRIBUTION
    ids = make_product(variants={"JACKET-M": {"HKD": 29600}})
    messaged, long_ago, stranger = make_customer("陳大文"), make_customer("佐藤健"), make_customer("Kim")
    with session_scope() as session:
        flow = Flow(name="Win back", status="published", published_version=1)
        session.add(flow)
        session.flush()
        for customer, ago in ((messaged, timedelta(hours=5)), (long_ago, timedelta(days=5))):
            run = FlowRun(flow_id=flow.id or 0, version=1, contact_id=customer.contact_id)
            session.add(run)
            session.flush()
            session.add(FlowEvent(flow_id=flow.id or 0, run_id=run.id or 0, contact_id=customer.contact_id,
                                  kind="sent", at=utcnow() - ago))
        flow_id = flow.id
    bought = {name: order_from_cart(customer, {ids["JACKET-M"]: 1})
              for name, customer in (("messaged", messaged), ("long_ago", long_ago), ("stranger", stranger))}
    with session_scope() as session:
        credited = {name: session.get(Order, order_id).flow_id  # type: ignore[union-attr]
                    for name, order_id in bought.items()}
    assert credited == {"messaged": flow_id, "long_ago": None, "stranger": None}
