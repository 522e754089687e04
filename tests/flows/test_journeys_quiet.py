"""Quiet hours of the journeys, on a clock the test moves: a message due in the night waits for the end of the
flow's own quiet hours (or the shop's, HUB_FLOW_QUIET_HOURS), and a flow with quiet hours off sends at once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from flows.journeys import graph, runner, service
from hub.runtime.db import session_scope
from tests.flows.journeys_world import Shop, customer, run_jobs
from tests.flows.journeys_world import shop as shop_fixture  # noqa: F401 - the fixture `shop`

EVENING = datetime(2026, 12, 7, 13, 30, tzinfo=UTC)  # Monday 21:30 in Hong Kong


def good_night(quiet: Any = "shop") -> dict[str, Any]:
    """An hour's wait, then a message: due at 22:30 in Hong Kong when started at 21:30."""
    settings: dict[str, Any] = {} if quiet == "shop" else {"quiet_hours": quiet}
    return {"trigger": {"type": "api", "config": {}}, "start": "wait",
            "nodes": [{"id": "wait", "type": "wait", "config": {"minutes": 60}},
                      {"id": "hello", "type": "send_message", "config": {"text": {"en": "Our new menu is out"}}},
                      {"id": "end", "type": "end", "config": {}}],
            "edges": [{"from": "wait", "port": "next", "to": "hello"}, {"from": "hello", "port": "sent", "to": "end"}],
            "settings": settings}


def start(shop: Shop, definition: dict[str, Any]) -> None:
    contact_id, _ = customer(shop, 3001, "Amy", "en")
    shop.clock.at = EVENING
    with session_scope() as session:
        flow = service.create(session=session, name="Good night", definition=definition)
        service.publish(session=session, flow_id=flow.id or 0)
        run = service.start_run(session=session, flow=flow, contact_id=contact_id)
        assert run is not None
        handle = (run.id or 0, run.visit)
    runner.advance(*handle)
    run_jobs()


def test_a_message_due_at_night_waits_for_the_end_of_the_flows_own_quiet_hours(shop: Shop) -> None:
    start(shop, good_night({"start": "22:00", "end": "07:00"}))
    shop.tick(minutes=60)  # 22:30 in Hong Kong: inside the flow's quiet hours
    assert shop.outbound() == []
    shop.tick(hours=8, minutes=29)  # 06:59
    assert shop.outbound() == []
    shop.tick(minutes=1)  # 07:00: the flow's end, not the shop's 08:00
    [message] = shop.outbound()
    assert message.text == "Our new menu is out"


def test_a_flow_with_quiet_hours_off_sends_at_once(shop: Shop) -> None:
    start(shop, good_night(None))
    shop.tick(minutes=60)  # 22:30 in Hong Kong
    [message] = shop.outbound()
    assert message.text == "Our new menu is out"


def test_the_shops_quiet_hours_apply_to_flows_without_their_own(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_FLOW_QUIET_HOURS", "22:00-09:30")
    start(shop, good_night())
    shop.tick(minutes=60)  # 22:30
    shop.tick(hours=10, minutes=59)  # 09:29
    assert shop.outbound() == []
    shop.tick(minutes=1)  # 09:30
    assert len(shop.outbound()) == 1


def test_the_shop_may_turn_quiet_hours_off(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_FLOW_QUIET_HOURS", "off")
    start(shop, good_night())
    shop.tick(minutes=60)
    assert len(shop.outbound()) == 1


@pytest.mark.parametrize("quiet", [{"start": "25:00", "end": "08:00"}, {"start": "21:00"}, "night", 9,
                                   {"start": "21:00", "end": "8:00"}])
def test_bad_quiet_hours_are_a_problem(quiet: Any) -> None:
    assert [p["code"] for p in graph.problems(good_night(quiet))] == ["bad_quiet_hours"]


@pytest.mark.parametrize("quiet", [None, "shop", {"start": "23:30", "end": "06:00"}])
def test_good_quiet_hours_are_no_problem(quiet: Any) -> None:
    assert graph.problems(good_night(quiet)) == []
