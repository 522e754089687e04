"""A tier change starts the journeys whose trigger is `tier_changed` (to the tiers they name), once."""

from __future__ import annotations

from sqlmodel import select

from catalog.loyalty import jobs as loyalty_jobs
from flows.journeys import service
from flows.journeys.models import FlowRun
from hub.runtime.db import session_scope
from tests.flows.journeys_world import Shop, buys, customer, run_jobs
from tests.flows.journeys_world import shop as shop_fixture  # noqa: F401 - the fixture `shop`
from tests.loyalty.factories import set_rules, set_tiers


def _flow(to: list[str]) -> int:
    definition = {"trigger": {"type": "tier_changed", "config": {"to": to}}, "start": "welcome",
                  "nodes": [{"id": "welcome", "type": "tag", "config": {"add": ["gold welcome"]}},
                            {"id": "done", "type": "end"}],
                  "edges": [{"from": "welcome", "port": "next", "to": "done"}]}
    with session_scope() as session:
        flow = service.create(session=session, name=f"Tier {to}", definition=definition)
        service.publish(session=session, flow_id=flow.id or 0)
        return flow.id or 0


def _runs(flow_id: int) -> list[FlowRun]:
    with session_scope() as session:
        return list(session.exec(select(FlowRun).where(FlowRun.flow_id == flow_id)))


def test_reaching_gold_through_a_purchase_starts_the_gold_journey_once(shop: Shop) -> None:
    set_rules(HKD=(1, 100))
    set_tiers(Silver=100, Gold=300)
    gold, silver = _flow(["Gold"]), _flow(["silver"])
    contact_id, conversation_id = customer(shop)
    order_id = buys(contact_id, conversation_id, shop.clock, total=3)  # HKD 385.50: 385 points
    run_jobs()  # the loyalty listener's job earns; the tier change queues the trigger's job
    run_jobs()
    [run] = _runs(gold)
    assert run.contact_id == contact_id and run.status == "completed"
    assert _runs(silver) == []  # straight to Gold: Silver was never this contact's tier
    loyalty_jobs.earn(order_id)  # the earning job again: no second change, no second run
    run_jobs()
    assert len(_runs(gold)) == 1
