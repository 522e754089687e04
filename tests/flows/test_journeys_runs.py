"""Journeys end to end, on a clock the test moves (no sleeping): the sandbox customer's phone gets each
follow-up at the right local time, once; carts paid in time get no reminder; replies take the right port;
runs stay on their version; a trigger or a step delivered again changes nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import insert, update
from sqlmodel import col, select

from catalog import orders
from catalog import service as catalog
from catalog.models import Cart
from channels import IdentityRef, InboundMessage
from flows.journeys import jobs, runner, service, triggers
from flows.journeys.models import Flow, FlowRun, Task
from flows.journeys.stats import stats
from hub.contacts.models import ChannelIdentity, Contact
from hub.conversations.models import Conversation, Message
from hub.ingest.service import receive
from hub.runtime.db import session_scope
from tests.catalog.factories import make_product
from tests.flows.journeys_world import Shop, buys, customer, published, run_jobs, taps
from tests.flows.journeys_world import shop as shop_fixture  # noqa: F401 - the fixture `shop`


def test_a_purchase_gets_thanks_after_24_hours_and_a_review_ask_after_3_days_in_local_daytime(shop: Shop) -> None:
    flow_id = published("post_purchase")
    contact_id, conversation_id = customer(shop)
    shop.clock.at = datetime(2026, 12, 7, 14, 30, tzinfo=UTC)  # Monday 22:30 in Hong Kong
    buys(contact_id, conversation_id, shop.clock)
    run_jobs()
    assert shop.outbound() == []

    shop.tick(hours=23, minutes=59)
    assert shop.outbound() == []
    shop.tick(minutes=1)  # Tuesday 22:30 in Hong Kong: quiet hours, the thanks waits for the morning
    assert shop.outbound() == []
    shop.tick(hours=9, minutes=29)  # 07:59
    assert shop.outbound() == []
    shop.tick(minutes=1)  # Wednesday 08:00 in Hong Kong
    [thanks] = shop.outbound()
    assert "多謝你的訂單" in (thanks.text or "") and "陳大文" in (thanks.text or "")

    shop.tick(hours=47, minutes=59)
    assert len(shop.outbound()) == 1
    shop.tick(minutes=1)  # Friday 08:00: the review ask, with buttons
    review = shop.outbound()[-1]
    assert "滿意" in (review.text or "") and [b.id for b in review.buttons] == ["great", "okay", "unhappy"]

    taps(shop, 700100200, 1, "unhappy")
    run_jobs()
    with session_scope() as session:
        [task] = session.exec(select(Task)).all()
        run = session.exec(select(FlowRun).where(FlowRun.flow_id == flow_id)).one()
    assert task.title == "Follow up an unhappy customer" and task.contact_id == contact_id
    assert run.status == "completed"
    with session_scope() as session:
        numbers = stats(session, flow_id)
    assert numbers["entered"] == 1 and numbers["completed"] == 1
    assert numbers["nodes"]["answer"]["ports"] == {"button:unhappy": 1}
    assert numbers["nodes"]["thanks"]["ports"] == {"sent": 1}


def test_a_reply_that_is_not_a_button_and_silence_take_their_ports(shop: Shop) -> None:
    definition = {
        "trigger": {"type": "api", "config": {}}, "start": "ask",
        "nodes": [{"id": "ask", "type": "send_message", "config": {"text": {"en": "Size?"}}},
                  {"id": "wait", "type": "wait_reply", "config": {"timeout_minutes": 60}},
                  {"id": "yes", "type": "tag", "config": {"add": ["answered"]}},
                  {"id": "no", "type": "tag", "config": {"add": ["silent"]}},
                  {"id": "end", "type": "end", "config": {}}],
        "edges": [{"from": "ask", "port": "sent", "to": "wait"}, {"from": "wait", "port": "replied", "to": "yes"},
                  {"from": "wait", "port": "no_reply", "to": "no"}, {"from": "yes", "port": "next", "to": "end"},
                  {"from": "no", "port": "next", "to": "end"}],
        "settings": {"allow_parallel_runs": True},
    }
    talker, _ = customer(shop, 1001, "Amy", "en")
    quiet, _ = customer(shop, 1002, "Ben", "en")
    with session_scope() as session:
        flow = service.create(session=session, name="Ask", definition=definition)
        service.publish(session=session, flow_id=flow.id or 0)
        started = [service.start_run(session=session, flow=flow, contact_id=c) for c in (talker, quiet)]
        handles = [(run.id or 0, run.visit) for run in started if run is not None]
    for run_id, visit in handles:
        runner.advance(run_id, visit)
    run_jobs()
    with session_scope() as session:  # one commit: a stranger's message, then the reply (a batch of two)
        receive(session=session, channel_id=shop.channel_id, inbound=InboundMessage(
            provider_message_id="m-0", identities=(IdentityRef("telegram", "1003"),), kind="text", text="在嗎？",
            sent_at=datetime.now(UTC)))
        receive(session=session, channel_id=shop.channel_id, inbound=InboundMessage(
            provider_message_id="m-1", identities=(IdentityRef("telegram", "1001"),), kind="text", text="M please",
            sent_at=datetime.now(UTC)))
    run_jobs()
    shop.tick(minutes=61)
    with session_scope() as session:
        runs = {r.contact_id: r for r in session.exec(select(FlowRun)).all()}
        numbers = stats(session, runs[talker].flow_id)
    assert runs[talker].status == runs[quiet].status == "completed"
    assert numbers["nodes"]["wait"]["ports"] == {"replied": 1, "no_reply": 1}


def test_an_abandoned_cart_paid_before_the_reminder_gets_none_and_payment_stops_the_coupon(shop: Shop) -> None:
    flow_id = published("abandoned_cart")
    variant_id = make_product(handle="scarf")["SHIRT-M"]
    carts = {}
    for user_id, name in ((2001, "Early Payer"), (2002, "Late Payer")):
        contact_id, conversation_id = customer(shop, user_id, name, "en")
        with session_scope() as session:
            cart = catalog.open_cart(session=session, contact_id=contact_id, conversation_id=conversation_id,
                                     currency="HKD")
            catalog.add(session=session, cart=cart, variant_id=variant_id)
            session.execute(update(Cart).where(col(Cart.id) == cart.id).values(updated_at=shop.clock()))
            carts[name] = (cart.id or 0, contact_id)
    shop.tick(minutes=30)
    with session_scope() as session:  # the early payer checks out and pays within the hour
        cart = session.get(Cart, carts["Early Payer"][0])
        assert cart is not None
        early = catalog.checkout(session=session, cart=cart).id or 0
    with session_scope() as session:
        orders.mark_paid(session=session, order_id=early, provider="sandbox", payment_ref="early", now=shop.clock())
    run_jobs()
    shop.tick(minutes=31)
    [reminder] = shop.outbound()
    assert reminder.customer == "2002" and "cart is waiting" in (reminder.text or "")
    shop.tick(hours=2)  # the late payer pays after the first reminder
    with session_scope() as session:
        cart = session.get(Cart, carts["Late Payer"][0])
        assert cart is not None
        late = catalog.checkout(session=session, cart=cart).id or 0
    with session_scope() as session:
        orders.mark_paid(session=session, order_id=late, provider="sandbox", payment_ref="late", now=shop.clock())
    run_jobs()
    shop.tick(hours=30)
    assert len(shop.outbound()) == 1  # no coupon reminder for either
    with session_scope() as session:
        [run] = session.exec(select(FlowRun).where(FlowRun.flow_id == flow_id)).all()
        numbers = stats(session, flow_id)
    assert run.status == "converted" and run.contact_id == carts["Late Payer"][1]
    assert numbers["converted"] == 1 and numbers["revenue"] == {"HKD": 12850}


def _contacts(shop: Shop, n: int) -> list[int]:
    now = shop.clock()
    with session_scope() as session:
        first = (session.exec(select(Contact.id).order_by(col(Contact.id).desc())).first() or 0) + 1
        session.execute(insert(Contact), [{"id": first + i, "name": f"客人 {i}", "custom_fields": {}, "locale": "en",
                                           "timezone": "Asia/Hong_Kong", "created_at": now, "updated_at": now}
                                          for i in range(n)])
        session.execute(insert(ChannelIdentity), [{"contact_id": first + i, "kind": "telegram",
                                                   "value": str(5000 + first + i), "verified": False,
                                                   "created_at": now} for i in range(n)])
        session.execute(insert(Conversation), [{"contact_id": first + i, "channel_id": shop.channel_id,
                                                "status": "open", "last_activity_at": now, "unread_count": 0,
                                                "created_at": now} for i in range(n)])
    return list(range(first, first + n))


def test_editing_a_flow_while_200_runs_wait_keeps_them_on_their_version(shop: Shop) -> None:
    def version(text: str) -> dict[str, Any]:
        return {"trigger": {"type": "api", "config": {}}, "start": "w",
                "nodes": [{"id": "w", "type": "wait", "config": {"minutes": 60}},
                          {"id": "s", "type": "send_message", "config": {"text": {"en": text}}},
                          {"id": "e", "type": "end", "config": {}}],
                "edges": [{"from": "w", "port": "next", "to": "s"}, {"from": "s", "port": "sent", "to": "e"}]}

    people = _contacts(shop, 200)
    with session_scope() as session:
        flow = service.create(session=session, name="Versions", definition=version("first version"))
        service.publish(session=session, flow_id=flow.id or 0)
        for contact_id in people:
            service.start_run(session=session, flow=flow, contact_id=contact_id)
        flow_id = flow.id or 0
    shop.tick(seconds=1)  # every run reaches its wait
    newcomer = _contacts(shop, 1)[0]
    with session_scope() as session:
        service.update(session=session, flow_id=flow_id, definition=version("second version"))
        service.publish(session=session, flow_id=flow_id)
        fresh = service.start_run(session=session, flow=session.get(Flow, flow_id), contact_id=newcomer)  # type: ignore[arg-type]
        assert fresh is not None and fresh.version == 2
    for _ in range(2):  # the newcomer's wait starts an hour later
        shop.clock.move(minutes=61)
        jobs.sweep()
        run_jobs("flows")  # the steps; sending is the delivery engine's business
    with session_scope() as session:
        texts = [m.text for m in session.exec(select(Message).where(Message.sender == "flow")).all()]
        versions = {r.version for r in session.exec(select(FlowRun).where(FlowRun.contact_id != newcomer)).all()}
    assert len(texts) == 201 and texts.count("first version") == 200 and texts.count("second version") == 1
    assert versions == {1}


def test_the_same_trigger_three_times_starts_one_run_and_a_step_run_twice_sends_once(shop: Shop) -> None:
    flow_id = published("post_purchase")
    contact_id, conversation_id = customer(shop)
    order_id = buys(contact_id, conversation_id, shop.clock)
    for _ in range(3):
        triggers.order_paid(order_id)  # the job, delivered again and again
    run_jobs()
    with session_scope() as session:
        [run] = session.exec(select(FlowRun).where(FlowRun.flow_id == flow_id)).all()
    shop.clock.move(hours=24)
    with session_scope() as session:
        fresh = session.get(FlowRun, run.id)
        assert fresh is not None
        visit = fresh.visit
    assert runner.advance(run.id or 0, visit) == "held"
    assert runner.advance(run.id or 0, visit) == "stale"  # a re-delivered job finds the step applied
    jobs.sweep()
    run_jobs()
    assert len(shop.outbound()) == 1


def test_a_backlog_drains_in_due_order_and_steps_too_late_are_skipped(shop: Shop) -> None:
    definition = {"trigger": {"type": "api", "config": {}}, "start": "s",
                  "nodes": [{"id": "s", "type": "send_message", "config": {"text": {"en": "Hello"}}},
                            {"id": "e", "type": "end", "config": {}}],
                  "edges": [{"from": "s", "port": "sent", "to": "e"}],
                  "settings": {"max_lateness_minutes": 60, "allow_parallel_runs": True}}
    people = _contacts(shop, 3)
    with session_scope() as session:
        flow = service.create(session=session, name="Late", definition=definition)
        service.publish(session=session, flow_id=flow.id or 0)
        runs = [service.start_run(session=session, flow=flow, contact_id=c) for c in people]
        ids = [r.id for r in runs if r is not None]
        late = {ids[0]: timedelta(minutes=90), ids[1]: timedelta(minutes=30), ids[2]: timedelta(minutes=45)}
        for run_id, ago in late.items():
            session.execute(update(FlowRun).where(col(FlowRun.id) == run_id).values(due_at=shop.clock() - ago))
    with session_scope() as session:
        handed = [run_id for run_id, _ in jobs.due_runs(session, shop.clock())]
    assert handed == [ids[0], ids[2], ids[1]]  # oldest due first
    with session_scope() as session:
        session.execute(update(FlowRun).values(lease_until=None))
    shop.tick(seconds=1)
    with session_scope() as session:
        numbers = stats(session, flow.id or 0)
    assert numbers["nodes"]["s"]["ports"] == {"skipped": 1, "sent": 2}
    assert numbers["nodes"]["s"]["skipped"] == {"too_late": 1}
    assert len(shop.outbound()) == 2


def test_the_demo_publishes_the_follow_up_and_cart_flows_and_compressed_time_delivers_them(
        shop: Shop, monkeypatch: pytest.MonkeyPatch) -> None:
    from flows.journeys import demo

    assert demo.announce() is not None
    assert demo.announce() is None  # once
    with session_scope() as session:
        flows = session.exec(select(Flow)).all()
    assert sorted(f.status for f in flows) == ["published", "published"]
    monkeypatch.setenv("HUB_FLOW_TIME_SCALE", "720")  # `make run`: a day in two minutes
    contact_id, conversation_id = customer(shop)
    buys(contact_id, conversation_id, shop.clock)
    run_jobs()
    shop.tick(minutes=2)
    assert len(shop.outbound()) == 1
    shop.tick(minutes=4)
    assert len(shop.outbound()) == 2
