"""The settings page in a real browser: a keyword rule made in the UI tags the next customer message, the API's
reason for a bad pattern is shown, agents are refused, and an agent's capacity is stored."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from hub.agents.models import User
from hub.conversations.models import Conversation
from hub.runtime.db import session_scope
from hub.tags.models import ConversationTag, Tag
from tests.conftest import wait_for
from tests.factories import make_channel, make_team, make_user
from tests.web.conftest import JOB_WAIT
from tests.web.test_inbox_browser import sign_in, webhook

pytestmark = pytest.mark.browser
DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
REFUND_QUESTION = "注文した商品を返品したいです。返金はいつ？"
YUKI = "佐藤由紀 Yuki"


def shop() -> tuple[int, int, int]:
    """A team with a Telegram bot, its agent 佐藤由紀 Yuki, and the admin."""
    team = make_team("Japan")
    channel = make_channel("telegram", "Telegram bot", team_ids=[team])
    yuki = make_user("yuki@shop.test", team_ids=[team])
    make_user("boss@shop.test", role="admin")
    assert channel.id is not None and yuki.id is not None
    name(yuki.id, YUKI)
    return team, channel.id, yuki.id


def name(user_id: int, full_name: str) -> None:
    with session_scope() as session:
        user = session.get(User, user_id)
        assert user is not None
        user.name = full_name
        session.add(user)


def open_settings(page):  # type: ignore[no-untyped-def]
    sign_in(page, "boss@shop.test")
    page.get_by_role("link", name="Settings").click()
    expect(page).to_have_url(re.compile(r"/admin$"))
    expect(page.locator("body")).to_have_attribute("data-ready", "true")


def tags_of(channel_id: int) -> list[str]:
    with session_scope() as session:
        query = (select(Tag.name).join(ConversationTag, ConversationTag.tag_id == Tag.id)
                 .join(Conversation, Conversation.id == ConversationTag.conversation_id)
                 .where(Conversation.channel_id == channel_id))
        return list(session.exec(query))


def test_a_keyword_rule_made_in_the_ui_tags_the_next_message(new_page, hub_server, page_errors):
    _, channel_id, _ = shop()
    page = new_page()
    open_settings(page)
    expect(page.locator("#rule-list")).to_contain_text("No rules yet.")
    page.get_by_role("button", name="New rule").click()
    page.get_by_label("Name", exact=True).fill("Refunds")
    page.get_by_label("Tag to apply").fill("refund")
    page.get_by_label("Any of these words or phrases").fill("返金\n退款")
    page.get_by_role("button", name="Save the rule").click()
    rule = page.locator("#rule-list li.rule-row")
    expect(rule).to_have_count(1)
    expect(rule).to_contain_text("Refunds")
    expect(rule).to_contain_text("Tags the conversation: refund")
    expect(rule).to_contain_text("Words or phrases: 返金, 退款")
    expect(page.get_by_role("checkbox", name="The rule Refunds is on")).to_be_checked()
    expect(page.locator("#tag-list")).to_contain_text("refund")  # the rule made the tag: its threshold can be set

    webhook(hub_server.url, channel_id, 4001, text=REFUND_QUESTION)
    assert wait_for(lambda: tags_of(channel_id), timeout=JOB_WAIT) == ["refund"]
    page.goto("/")
    row = page.locator("#conversation-list li.conv")
    expect(row).to_contain_text("返金はいつ")
    expect(row.locator(".conv-tags")).to_contain_text("refund")
    row.locator("a").click()
    expect(page.locator("#controls .chips")).to_contain_text("refund")
    assert page_errors == []


def test_a_bad_pattern_shows_the_apis_reason_and_switching_a_rule_off_sticks(new_page, hub_server, page_errors):
    shop()
    page = new_page()
    open_settings(page)
    page.get_by_role("button", name="New rule").click()
    page.get_by_label("Name", exact=True).fill("Order numbers")
    page.get_by_label("Tag to apply").fill("order")
    page.get_by_role("button", name="Remove the condition: Words or phrases").click()
    page.get_by_label("Kind of condition").select_option("pattern")
    page.get_by_role("button", name="Add a condition").click()
    page.get_by_label("A regular expression").fill("(order")
    page.get_by_role("button", name="Save the rule").click()
    expect(page.locator("#rule-error")).to_contain_text("'(order' is not a valid regular expression")
    expect(page.locator("#rule-list")).to_contain_text("No rules yet.")
    page.get_by_label("A regular expression").fill(r"(order|注文)\s*#?\d{4,}")
    page.get_by_role("button", name="Save the rule").click()
    expect(page.locator("#rule-form")).to_be_hidden()
    switch = page.get_by_role("checkbox", name="The rule Order numbers is on")
    switch.uncheck()
    expect(page.locator("#saved")).to_have_text("Saved.")
    assert page.request.get("/api/v1/tag-rules").json()[0]["enabled"] is False
    page.get_by_role("button", name="Delete Order numbers").click()
    page.locator("#rule-list .confirm").get_by_role("button", name="Delete").click()
    expect(page.locator("#rule-list")).to_contain_text("No rules yet.")
    assert [e for e in page_errors if "status of 422" not in e] == []  # the refused save itself


def test_an_agent_is_refused_the_settings(new_page, hub_server, page_errors):
    shop()
    page = new_page()
    sign_in(page, "yuki@shop.test")
    expect(page.get_by_role("link", name="Settings")).to_have_count(0)
    answer = page.goto("/admin")
    assert answer is not None and answer.status == 403
    expect(page.locator("h1")).to_have_text("Not allowed")
    expect(page.locator("#rule-form")).to_have_count(0)
    assert [e for e in page_errors if "status of 403" not in e] == []


def test_an_admin_sets_an_agents_capacity_skills_and_languages(new_page, hub_server, page_errors):
    _, _, yuki = shop()
    page = new_page()
    open_settings(page)
    agent = page.get_by_role("form", name=YUKI)
    agent.get_by_label("Capacity").fill("3")
    agent.get_by_label("Skills").fill("refund, vip")
    agent.get_by_label("Japanese").check()
    agent.get_by_role("button", name="Save").click()
    expect(page.locator("#saved")).to_have_text(f"Saved {YUKI}.")
    profile = page.request.get(f"/api/v1/agents/{yuki}/profile").json()
    assert (profile["capacity"], profile["skills"], profile["languages"]) == (3, ["refund", "vip"], ["ja"])
    agent.get_by_label("Capacity").fill("-1")
    agent.get_by_role("button", name="Save").click()
    assert agent.get_by_label("Capacity").evaluate("input => !input.checkValidity()")  # the form says no first
    assert page.request.get(f"/api/v1/agents/{yuki}/profile").json()["capacity"] == 3
    assert page_errors == []


def _fits(page) -> bool:  # type: ignore[no-untyped-def]
    return bool(page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"))


def test_the_settings_screenshot_and_a_375px_phone(new_page, hub_server, page_errors, tmp_path):
    team, channel_id, _ = shop()
    hk = make_team("Hong Kong")
    make_channel("whatsapp_meta", "WhatsApp HK", team_ids=[hk])
    mei = make_user("mei@shop.test", team_ids=[hk]).id
    assert mei is not None
    name(mei, "陳美玲 Mei")
    shots = DOCS_SHOTS if os.environ.get("HUB_SCREENSHOTS") else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    page = new_page(1280, 900)
    open_settings(page)
    post = page.request.post
    csrf = page.locator('meta[name="csrf-token"]').get_attribute("content") or ""
    headers = {"X-CSRF-Token": csrf}
    for body in (
        {"name": "Refunds", "conditions": [{"type": "keywords", "values": ["返金", "退款", "refund"]}],
         "actions": [{"type": "tag_conversation", "tag": "refund"}]},
        {"name": "After-hours VIP", "conditions": [{"type": "hours", "when": "outside"},
                                                   {"type": "contact_tag", "op": "has", "tag": "VIP"}],
         "actions": [{"type": "tag_conversation", "tag": "urgent"}]},
        {"name": "Order numbers", "enabled": False, "match": "any",
         "conditions": [{"type": "pattern", "value": r"(order|注文|訂單)\s*#?\d{4,}"},
                        {"type": "custom_field", "field": "tier", "op": "equals", "value": "Gold"}],
         "actions": [{"type": "tag_contact", "tag": "buyer"}]},
    ):
        assert post("/api/v1/tag-rules", data=body, headers=headers).status == 201
    assert post("/api/v1/assignment-policies", data={"kind": "least_loaded", "team_id": team}, headers=headers).ok
    assert post("/api/v1/assignment-policies", data={"kind": "sticky", "channel_id": channel_id}, headers=headers).ok
    weekdays = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    assert page.request.put("/api/v1/business-hours", headers=headers, data={
        "timezone": "Asia/Tokyo", "weekly_hours": weekdays | {"sat": [["10:00", "14:00"]]}}).ok
    page.reload()
    expect(page.locator("body")).to_have_attribute("data-ready", "true")
    expect(page.locator("#rule-list li.rule-row")).to_have_count(3)
    page.get_by_role("button", name="Edit Refunds").click()
    expect(page.locator("#rule-form")).to_be_visible()
    page.locator("#rule-name").blur()
    page.screenshot(path=str(shots / "admin.png"), full_page=True)

    phone = new_page(375, 812)
    open_settings(phone)
    expect(phone.locator("#rule-list li.rule-row")).to_have_count(3)
    phone.get_by_role("button", name="New rule").click()
    assert _fits(phone)
    phone.screenshot(path=str(tmp_path / "admin-phone.png"), full_page=True)
    assert page_errors == []
