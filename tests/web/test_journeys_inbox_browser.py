"""Journeys in the inbox (issue 15: tasks listed in the inbox, a flow started by an agent): the contact panel
shows the customer's open staff tasks, an agent marks one done, and starts a published "started by an agent"
journey for the customer; in Japanese too."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from flows.journeys import service as journeys
from flows.journeys.models import FlowRun, Task
from hub.conversations.models import Conversation
from hub.runtime.db import session_scope, utcnow
from tests.factories import make_channel, make_team
from tests.web.test_inbox_browser import sign_in
from tests.web.test_staff_browser import agent, sms_customer

pytestmark = pytest.mark.browser

MANUAL = {"trigger": {"type": "manual", "config": {}}, "start": "wait",
          "nodes": [{"id": "wait", "type": "wait", "config": {"minutes": 60}},
                    {"id": "end", "type": "end", "config": {}}],
          "edges": [{"from": "wait", "port": "next", "to": "end"}]}


def journeys_world(conversation_id: int) -> tuple[int, int]:
    """A published manual journey and an open task on the conversation's customer: (flow id, task id)."""
    with session_scope() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        flow = journeys.create(session=session, name="Win back · 喚回", definition=MANUAL)
        journeys.publish(session=session, flow_id=flow.id or 0)
        draft = journeys.create(session=session, name="Not published", definition=MANUAL)
        task = Task(key="test:call", title="Call about the jacket <b>now</b>", contact_id=conversation.contact_id,
                    conversation_id=conversation_id, due_at=utcnow() + timedelta(hours=4), status="open")
        session.add(task)
        session.flush()
        assert flow.id and draft.id and task.id
        return flow.id, task.id


def test_an_agent_sees_the_customers_tasks_and_starts_a_journey(new_page, hub_server, page_errors):
    team = make_team("US")
    sms = make_channel("sms_twilio", "SMS US", team_ids=[team], config={"from_number": "+15550001111"}).id or 0
    agent("sam@shop.test", team, locale="en", name="Sam Taylor")
    conversation_id = sms_customer(sms)
    flow_id, task_id = journeys_world(conversation_id)

    page = new_page()
    sign_in(page, "sam@shop.test")
    page.locator("#conversation-list li.conv a").first.click()
    section = page.locator("#contact-journeys")
    expect(section.get_by_role("heading", name="Journeys")).to_be_visible()
    expect(section.locator(".journey-task-title")).to_have_text("Call about the jacket <b>now</b>")  # as text
    section.get_by_role("button", name="Mark “Call about the jacket <b>now</b>” done").click()
    expect(section.get_by_text("No open tasks.")).to_be_visible()
    with session_scope() as session:
        task = session.get(Task, task_id)
        assert task is not None and task.status == "done"

    choice = section.get_by_label("Choose a journey")
    expect(choice.locator("option")).to_have_text(["Choose a journey", "Win back · 喚回"])  # published, manual only
    choice.select_option(label="Win back · 喚回")
    section.get_by_role("button", name="Start", exact=True).click()
    expect(section.get_by_role("status")).to_have_text("Started “Win back · 喚回” for this customer.")
    with session_scope() as session:
        [run] = session.exec(select(FlowRun)).all()
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        assert (run.flow_id, run.contact_id) == (flow_id, conversation.contact_id)
    assert page_errors == []


def test_the_journeys_section_speaks_japanese(new_page, hub_server):
    team = make_team("JP")
    sms = make_channel("sms_twilio", "SMS JP", team_ids=[team], config={"from_number": "+15550002222"}).id or 0
    agent("yuki@shop.test", team, locale="ja")
    journeys_world(sms_customer(sms))
    page = new_page()
    sign_in(page, "yuki@shop.test")
    page.locator("#conversation-list li.conv a").first.click()
    section = page.locator("#contact-journeys")
    expect(section.get_by_role("heading", name="ジャーニー", exact=True)).to_be_visible()
    expect(section.get_by_label("ジャーニーを選ぶ")).to_be_visible()
