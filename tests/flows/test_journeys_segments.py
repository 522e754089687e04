"""`segment_entered` flows: a contact starts when they enter the segment (a change from out to in, found by the
periodic check), once per entry however often the check runs; one who leaves and comes back starts again,
subject to the flow's entry rules."""

from __future__ import annotations

from typing import Any

from sqlmodel import select

from flows.journeys import jobs, service
from flows.journeys.models import FlowRun
from flows.segments import service as segments
from hub.contacts.models import Contact
from hub.runtime.db import session_scope
from tests.flows.journeys_world import Shop, customer, run_jobs
from tests.flows.journeys_world import shop as shop_fixture  # noqa: F401 - the fixture `shop`


def vip_flow(settings: dict[str, Any]) -> int:
    with session_scope() as session:
        segment = segments.create(session=session, name="VIPs", definition={
            "all": [{"field": "vip", "op": "eq", "value": "yes"}]})
        flow = service.create(session=session, name="Welcome VIPs", definition={
            "trigger": {"type": "segment_entered", "config": {"segment_id": segment.id}}, "start": "hello",
            "nodes": [{"id": "hello", "type": "send_message", "config": {"text": {"en": "Welcome to the VIP club"}}},
                      {"id": "end", "type": "end", "config": {}}],
            "edges": [{"from": "hello", "port": "sent", "to": "end"}],
            "settings": {"quiet_hours": None, **settings}})
        service.publish(session=session, flow_id=flow.id or 0)
        return flow.id or 0


def vip(contact_id: int, yes: bool) -> None:
    with session_scope() as session:
        contact = session.get(Contact, contact_id)
        assert contact is not None
        contact.custom_fields = {"vip": "yes" if yes else "no"}
        session.add(contact)


def welcomes(shop: Shop) -> int:
    return sum("VIP club" in (m.text or "") for m in shop.outbound())


def test_a_contact_who_leaves_the_segment_and_enters_again_starts_again(shop: Shop) -> None:
    flow_id = vip_flow({})
    amy, _ = customer(shop, 4001, "Amy", "en")
    ben, _ = customer(shop, 4002, "Ben", "en")
    vip(amy, True)
    assert jobs.segment_entries() == 1
    assert jobs.segment_entries() == 0  # the check again: no new entry
    run_jobs()
    assert welcomes(shop) == 1

    vip(amy, False)
    shop.clock.move(minutes=1)
    assert jobs.segment_entries() == 0
    vip(amy, True)  # back in
    vip(ben, True)
    shop.clock.move(minutes=1)
    assert jobs.segment_entries() == 2
    assert jobs.segment_entries() == 0
    run_jobs()
    assert welcomes(shop) == 3
    with session_scope() as session:
        keys = sorted(r.entry_key or "" for r in session.exec(select(FlowRun).where(FlowRun.flow_id == flow_id)))
    assert keys == [f"segment:{amy}", f"segment:{amy}:2", f"segment:{ben}"]


def test_reentry_follows_the_flows_rule(shop: Shop) -> None:
    vip_flow({"reentry_after_days": 7})
    amy, _ = customer(shop, 4003, "Amy", "en")
    vip(amy, True)
    assert jobs.segment_entries() == 1
    run_jobs()  # welcomed: the run ends
    vip(amy, False)
    shop.clock.move(days=1)
    assert jobs.segment_entries() == 0
    vip(amy, True)  # back after a day: the flow lets her start again only after 7
    shop.clock.move(minutes=1)
    assert jobs.segment_entries() == 0
    vip(amy, False)
    shop.clock.move(days=7)
    jobs.segment_entries()
    vip(amy, True)  # back after 8 days
    shop.clock.move(minutes=1)
    assert jobs.segment_entries() == 1
    run_jobs()
    assert welcomes(shop) == 2
