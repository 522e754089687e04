"""The rules checked when a flow's message is due: opt-outs and agents end runs, the frequency cap across flows,
WhatsApp's 24-hour window, a Redis flush mid-run; and the split is stable per run."""

from __future__ import annotations

from typing import Any

import pytest
import redis
from sqlmodel import select

from flows.journeys import runner, service
from flows.journeys.models import FlowRun
from flows.journeys.stats import stats
from hub.contacts.models import ChannelIdentity, Contact
from hub.contacts.service import record_consent
from hub.conversations import outbound
from hub.conversations import service as conversations
from hub.runtime.db import session_scope
from tests.factories import make_channel, make_user
from tests.flows.journeys_world import Shop, customer, run_jobs
from tests.flows.journeys_world import shop as shop_fixture  # noqa: F401 - the fixture `shop`

WAIT_THEN_SEND = {
    "trigger": {"type": "api", "config": {}}, "start": "w",
    "nodes": [{"id": "w", "type": "wait", "config": {"minutes": 60}},
              {"id": "s", "type": "send_message", "config": {"text": {"en": "Still there?"}}},
              {"id": "e", "type": "end", "config": {}}],
    "edges": [{"from": "w", "port": "next", "to": "s"}, {"from": "s", "port": "sent", "to": "e"}],
}


def start(definition: dict[str, Any], contact_id: int, name: str = "Flow") -> tuple[int, int]:
    with session_scope() as session:
        flow = service.create(session=session, name=name, definition=definition)
        service.publish(session=session, flow_id=flow.id or 0)
        run = service.start_run(session=session, flow=flow, contact_id=contact_id)
        assert run is not None
        handle = (run.id or 0, run.visit)
    runner.advance(*handle)
    run_jobs()
    return flow.id or 0, handle[0]


def run_of(run_id: int) -> FlowRun:
    with session_scope() as session:
        run = session.get(FlowRun, run_id)
        assert run is not None
        return run


def test_an_opt_out_ends_the_run_before_its_message(shop: Shop) -> None:
    contact_id, _ = customer(shop, 3001, "Olive", "en")
    _, run_id = start(WAIT_THEN_SEND, contact_id)
    with session_scope() as session:
        record_consent(session=session, contact_id=contact_id, channel_id=shop.channel_id, status="opted_out",
                       source="STOP")
    run_jobs()
    shop.tick(minutes=61)
    assert (run_of(run_id).status, run_of(run_id).exit_reason) == ("exited", "opted_out")
    assert shop.outbound() == []


def test_an_agent_taking_over_ends_the_run(shop: Shop) -> None:
    agent = make_user("ann@shop.test")
    contact_id, conversation_id = customer(shop, 3002, "Hugo", "en")
    _, run_id = start(WAIT_THEN_SEND, contact_id)
    with session_scope() as session:
        conversation = conversations.get(session=session, conversation_id=conversation_id)
        assert conversation is not None
        outbound.queue_reply(session=session, conversation=conversation, author_id=agent.id, text="Hi, I'm Ann")
    run_jobs()
    shop.tick(minutes=61)
    assert (run_of(run_id).status, run_of(run_id).exit_reason) == ("exited", "human_took_over")
    assert [m.text for m in shop.outbound()] == ["Hi, I'm Ann"]


def test_the_frequency_cap_counts_every_flow(shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HUB_FLOW_MESSAGES_PER_DAY", "2")
    contact_id, _ = customer(shop, 3003, "Cara", "en")
    send_now = {"trigger": {"type": "api", "config": {}}, "start": "s",
                "nodes": [{"id": "s", "type": "send_message", "config": {"text": {"en": "News"}}},
                          {"id": "e", "type": "end", "config": {}}],
                "edges": [{"from": "s", "port": "sent", "to": "e"}]}
    flow_ids = [start(send_now, contact_id, f"Flow {n}")[0] for n in range(3)]
    assert len(shop.outbound()) == 2
    with session_scope() as session:
        assert stats(session, flow_ids[2])["nodes"]["s"]["skipped"] == {"frequency_cap": 1}


def test_outside_whatsapps_window_a_step_without_a_template_is_skipped(shop: Shop) -> None:
    channel_id = make_channel("whatsapp_meta", "WA", marketing_consent_required=False).id or 0
    with session_scope() as session:
        contact = Contact(name="Wendy", locale="en", timezone="Asia/Hong_Kong")
        session.add(contact)
        session.flush()
        session.add(ChannelIdentity(contact_id=contact.id or 0, kind="whatsapp", value="+85291112222",
                                    phone="+85291112222"))
        conversations.open_for(session=session, contact_id=contact.id or 0, channel_id=channel_id)
        contact_id = contact.id or 0
    send_now = {"trigger": {"type": "api", "config": {}}, "start": "s",
                "nodes": [{"id": "s", "type": "send_message", "config": {"text": {"en": "Hello"}}},
                          {"id": "e", "type": "end", "config": {}}],
                "edges": [{"from": "s", "port": "sent", "to": "e"}]}
    flow_id, run_id = start(send_now, contact_id)
    assert run_of(run_id).status == "completed"
    with session_scope() as session:
        assert stats(session, flow_id)["nodes"]["s"]["skipped"] == {"outside_window": 1}


def test_a_redis_flush_mid_run_loses_nothing(shop: Shop) -> None:
    contact_id, _ = customer(shop, 3004, "Rita", "en")
    _, run_id = start(WAIT_THEN_SEND, contact_id)
    shop.clock.move(minutes=61)
    from flows.journeys import jobs

    jobs.sweep()  # the step is handed to RQ...
    redis.Redis.from_url(shop_redis_url()).flushdb()  # ...and Redis forgets it
    run_jobs()
    assert shop.outbound() == []
    shop.tick(minutes=3)  # the lease ran out: the sweeper hands it again
    assert [m.text for m in shop.outbound()] == ["Still there?"]
    assert run_of(run_id).status == "completed"


def shop_redis_url() -> str:
    from hub.runtime.settings import get_settings

    url = get_settings().redis_url
    assert url is not None
    return url


def test_a_split_sends_each_run_the_same_way_and_about_the_given_share(shop: Shop) -> None:
    from flows.journeys.graph import Graph
    from flows.journeys.runner import Step
    from flows.journeys.steps import split

    config = {"variants": [{"port": "a", "percent": 45}, {"port": "b", "percent": 45},
                           {"port": "holdout", "percent": 10}]}
    ports = []
    for run_id in range(1, 2001):
        step = Step(None, FlowRun(id=run_id, flow_id=1, version=1, contact_id=1, node_id="ab"),  # type: ignore[arg-type]
                    Graph("api", {}, "ab", {}, {}), None)  # type: ignore[arg-type]
        first = split(step, config)
        assert split(step, config) == first
        ports.append(first.port)  # type: ignore[union-attr]
    assert 800 < ports.count("a") < 1000 and 100 < ports.count("holdout") < 300


def test_a_message_with_products_and_a_payment_link_sends_cards_and_a_checkout_button(shop: Shop) -> None:
    from catalog.products import get_by_handle
    from tests.catalog.factories import make_product

    make_product(handle="silk-shirt")
    with session_scope() as session:
        product = get_by_handle(session=session, handle="silk-shirt")
        assert product is not None
        product_id = product.id or 0
    contact_id, _ = customer(shop, 3005, "Pat", "en")
    offer = {"trigger": {"type": "api", "config": {}}, "start": "s",
             "nodes": [{"id": "s", "type": "send_message", "config": {
                 "text": {"en": "Picked for you"}, "product_ids": [product_id], "payment_link": True}},
                       {"id": "e", "type": "end", "config": {}}],
             "edges": [{"from": "s", "port": "sent", "to": "e"}]}
    start(offer, contact_id)
    text, card = shop.outbound()
    assert text.text == "Picked for you" and [b.title for b in text.buttons] == ["Checkout"]
    assert "Add to cart" in [b.title for b in card.buttons] and "128.50" in (card.text or "")


def test_a_task_for_someone_who_left_is_still_made_and_listed_for_the_team(shop: Shop) -> None:
    from fastapi.testclient import TestClient

    from flows.journeys.models import Task
    from hub.composition import create_app
    from tests.factories import make_team, token_for

    team_id = make_team("Care")
    make_user("bea@shop.test", team_ids=[team_id])
    contact_id, _ = customer(shop, 3006, "Tess", "en")
    call = {"trigger": {"type": "api", "config": {}}, "start": "t",
            "nodes": [{"id": "t", "type": "task", "config": {"title": {"en": "Call {{ first_name }}"},
                                                             "agent_id": 999, "team_id": team_id,
                                                             "due_in_hours": 4}},
                      {"id": "e", "type": "end", "config": {}}],
            "edges": [{"from": "t", "port": "next", "to": "e"}]}
    _, run_id = start(call, contact_id)
    assert run_of(run_id).status == "completed"
    with session_scope() as session:
        [task] = session.exec(select(Task)).all()
    assert (task.title, task.agent_id, task.team_id) == ("Call Tess", None, team_id)
    with TestClient(create_app()) as client:
        agent = token_for(client, "bea@shop.test")
        listed = client.get("/api/v1/tasks", headers=agent).json()
        assert [t["title"] for t in listed] == ["Call Tess"]
        done = client.patch(f"/api/v1/tasks/{task.id}", json={"status": "done"}, headers=agent)
        assert done.status_code == 200 and done.json()["status"] == "done"
        assert client.get("/api/v1/tasks", headers=agent).json() == []


def test_birthdays_and_schedules_start_at_the_right_local_moment_once(shop: Shop) -> None:
    from datetime import UTC, datetime

    from flows.journeys import jobs, templates
    from flows.segments import service as segments
    from hub.contacts.models import Contact as ContactRow

    birthday_id, _ = customer(shop, 3007, "Bella", "en")
    with session_scope() as session:
        contact = session.get(ContactRow, birthday_id)
        assert contact is not None
        contact.custom_fields = {"birthday": "1990-12-08"}
        session.add(contact)
        segment = segments.create(session=session, name="Everyone", definition={"all": []})
        birthday = templates.get("birthday")["definition"]  # type: ignore[index]
        monthly = templates.get("monthly_loyal")["definition"]  # type: ignore[index]
        monthly["trigger"]["config"]["segment_id"] = segment.id
        flows = []
        for name, definition in (("Birthday", birthday), ("Monthly", monthly)):
            flow = service.create(session=session, name=name, definition=definition)
            service.publish(session=session, flow_id=flow.id or 0)
            flows.append(flow.id or 0)
    def runs(flow_id: int) -> int:
        with session_scope() as session:
            return len(session.exec(select(FlowRun).where(FlowRun.flow_id == flow_id)).all())

    shop.clock.at = datetime(2026, 12, 7, 1, 59, tzinfo=UTC)  # Monday 7 December, 09:59 in Hong Kong
    assert jobs.minutely()["schedules"] == 0 and runs(flows[1]) == 0
    shop.clock.at = datetime(2026, 12, 7, 2, 0, tzinfo=UTC)  # 10:00: the first Monday of the month
    assert jobs.minutely()["schedules"] == 1 and jobs.minutely()["schedules"] == 0
    assert runs(flows[0]) == 0  # the birthday is tomorrow
    shop.clock.at = datetime(2026, 12, 8, 1, 30, tzinfo=UTC)  # 09:30 on the birthday, local time
    assert jobs.minutely()["dates"] == 0
    shop.clock.at = datetime(2026, 12, 8, 2, 5, tzinfo=UTC)  # 10:05
    assert jobs.minutely()["dates"] == 1 and jobs.minutely()["dates"] == 0
    run_jobs()
    assert "Happy birthday, Bella" in (shop.outbound()[-1].text or "")


def test_a_keyword_starts_a_flow_once_however_often_the_message_is_delivered(shop: Shop) -> None:
    from datetime import UTC, datetime

    from channels import IdentityRef, InboundMessage
    from flows.journeys import triggers
    from hub.ingest.service import receive

    menu = {"trigger": {"type": "message_received", "config": {"keywords": ["menu", "菜單"]}}, "start": "s",
            "nodes": [{"id": "s", "type": "send_message", "config": {"text": {"en": "Here is our menu",
                                                                              "zh-Hant": "這是我們的菜單"}}},
                      {"id": "e", "type": "end", "config": {}}],
            "edges": [{"from": "s", "port": "sent", "to": "e"}], "settings": {"allow_parallel_runs": True}}
    with session_scope() as session:
        flow = service.create(session=session, name="Menu", definition=menu)
        service.publish(session=session, flow_id=flow.id or 0)
    customer(shop, 3008, "陳小明", "zh_Hant")
    run_jobs()
    assert shop.outbound() == []  # 你好 is no keyword
    with session_scope() as session:
        message = receive(session=session, channel_id=shop.channel_id, inbound=InboundMessage(
            provider_message_id="kw-1", identities=(IdentityRef("telegram", "3008"),), kind="text",
            text="可以睇下菜單嗎？", sent_at=datetime.now(UTC)))
        assert message is not None
        message_id = message.id or 0
    run_jobs()
    for _ in range(2):
        triggers.message_received(message_id)  # the event's job delivered again
    run_jobs()
    assert [m.text for m in shop.outbound()] == ["這是我們的菜單"]
