"""A journey's `csat` step asks the run's conversation for a rating, in the customer's language, once."""

from __future__ import annotations

from sqlmodel import select

from flows.journeys import runner
from flows.journeys.models import FlowEvent, FlowRun
from hub.csat import service as surveys
from hub.csat.models import CsatSurvey
from hub.runtime.db import session_scope
from tests.flows.journeys_world import Shop, customer, run_jobs
from tests.flows.journeys_world import shop as shop_fixture  # noqa: F401 - the fixture `shop`
from tests.flows.test_journeys_rules import start

ASK = {"trigger": {"type": "api", "config": {}}, "start": "ask",
       "nodes": [{"id": "ask", "type": "csat", "config": {}},
                 {"id": "thanks", "type": "send_message", "config": {"text": {"en": "Thanks!", "ja": "ありがとう！"}}},
                 {"id": "end", "type": "end", "config": {}}],
       "edges": [{"from": "ask", "port": "sent", "to": "thanks"}, {"from": "thanks", "port": "sent", "to": "end"}]}


def test_a_journey_asks_for_a_rating_in_the_customers_language_once(shop: Shop) -> None:
    contact_id, conversation_id = customer(shop, 3101, "鈴木花子", "ja")
    _, run_id = start(ASK, contact_id)
    asked, thanks = shop.outbound()[-2:]
    assert sorted(b.id for b in asked.buttons) == [f"csat:{n}" for n in range(1, 6)]  # a button per score
    assert asked.text and "評価" in asked.text and "とても満足" in asked.buttons[0].title  # in Japanese
    assert thanks.text == "ありがとう！"
    with session_scope() as session:
        [survey] = session.exec(select(CsatSurvey).where(CsatSurvey.conversation_id == conversation_id)).all()
        assert survey.status == "sent" and survey.locale == "ja" and survey.trigger.startswith("request:")
        run = session.get(FlowRun, run_id)
        assert run is not None and run.status == "completed"
        visit = run.visit
    before = len(shop.outbound())
    runner.advance(run_id, visit)  # the same step handed out again: nothing more is asked
    run_jobs()
    assert len(shop.outbound()) == before
    with session_scope() as session:
        assert len(session.exec(select(CsatSurvey)).all()) == 1
        key = survey.trigger.removeprefix("request:")
        assert surveys.request(session, [conversation_id], key=key) == []  # the step's job run again asks nothing
        assert surveys.requested(session, conversation_id, key) is not None
    run_jobs()
    assert len(shop.outbound()) == before


def test_without_a_conversation_the_step_takes_not_sent(shop: Shop) -> None:
    from hub.contacts.models import Contact

    with session_scope() as session:
        contact = Contact(display_name="No chat")
        session.add(contact)
        session.flush()
        contact_id = contact.id or 0
    flow = {**ASK, "nodes": [*ASK["nodes"], {"id": "note", "type": "tag", "config": {"add": ["no-rating"]}}],
            "edges": [*ASK["edges"], {"from": "ask", "port": "not_sent", "to": "note"},
                      {"from": "note", "port": "next", "to": "end"}]}
    _, run_id = start(flow, contact_id)
    with session_scope() as session:
        run = session.get(FlowRun, run_id)
        assert run is not None and run.status == "completed"
        assert session.exec(select(CsatSurvey)).first() is None
        ports = session.exec(select(FlowEvent.port).where(FlowEvent.run_id == run_id, FlowEvent.node_id == "ask")).all()
        assert "not_sent" in ports
