"""What an agent sees of a conversation's history in a real browser: a search that covers every status and
opens at the message that matched, activity lines in the thread naming the rule or person behind each
change, tag chips that say what applied them, and a Team filter that follows the channels' teams
(issue 13 items 7, 8, 8b)."""

from __future__ import annotations

import os

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from hub.agents.models import User
from hub.conversations import actions
from hub.conversations.models import Conversation, Message
from hub.ingest.service import receive
from hub.runtime.db import session_scope
from hub.tagging import jobs
from tests.factories import inbound, make_channel, make_team, make_user
from tests.tagging.factories import keywords, rule
from tests.web.test_inbox_browser import one_team, sign_in
from tests.web.test_staff_inbox_browser import DOCS_SHOTS

pytestmark = pytest.mark.browser

REFUND = "上個禮拜買嘅外套想退款，請問點樣處理？"


def customer_writes(channel_id: int, key: str, phone: str, *texts: str) -> Message:
    """The customer's messages, stored as ingest stores them; the first one."""
    stored = []
    with session_scope() as session:
        for number, text in enumerate(texts):
            message = receive(session=session, channel_id=channel_id, inbound=inbound(f"{key}.{number}", phone, text))
            assert message is not None
            stored.append(message)
    return stored[0]


def resolve(conversation_id: int) -> None:
    with session_scope() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        actions.set_status(session=session, conversation=conversation, status="resolved")


def set_locale(email: str, locale: str) -> None:
    with session_scope() as session:
        user = session.exec(select(User).where(User.email == email)).one()
        user.locale = locale
        session.add(user)


@pytest.mark.both_backends
def test_a_search_finds_a_resolved_conversation_and_opens_at_the_matching_message(new_page, hub_server, page_errors):
    _, channel_id = one_team()
    asked = customer_writes(channel_id, "refund", "+85291110001", REFUND, "仲有，件外套係 M 碼", "多謝晒！")
    resolve(asked.conversation_id)
    customer_writes(channel_id, "other", "+85291110002", "Is the shop open on Sunday?")
    page = new_page()
    sign_in(page, "yuki@shop.test")
    rows = page.locator("#conversation-list li.conv")
    expect(rows).to_have_count(1)  # the open list
    page.locator("#search").fill("退款")
    page.locator("#search").press("Enter")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(REFUND)  # the message that matched, not the latest "多謝晒！"
    expect(rows.first.locator("mark")).to_have_text("退款")
    expect(page.locator("#search-scope")).to_have_text("Searching in:All statuses")
    expect(page.locator("#filter-status")).to_have_value("")
    rows.first.locator("a").click()
    matched = page.locator(f'#thread article.msg[data-id="{asked.id}"]')
    expect(matched).to_have_class("msg msg-in is-match")
    expect(matched.locator("mark")).to_have_text("退款")
    expect(matched).to_be_in_viewport()

    page.locator("#filter-status").select_option("open")  # the agent narrows it: the search keeps to it
    expect(page.locator("#search-scope")).to_have_text("Searching in:Open")
    expect(page.locator("#conversation-list")).to_contain_text("No conversations match these filters.")
    assert page_errors == []


def test_the_thread_shows_who_or_which_rule_tagged_assigned_and_resolved(new_page, hub_server, page_errors):
    _, channel_id = one_team()
    rule("退款", keywords("退款"), tag="退款")
    rule("Refund askers", keywords("退款"), tag="asked refund", target="tag_contact")
    asked = customer_writes(channel_id, "refund", "+85291110001", REFUND)
    jobs.apply_rules(asked.id or 0)  # the worker may have run it already: either way, tagged once
    page = new_page()
    sign_in(page, "yuki@shop.test")
    page.goto(f"/conversations/{asked.conversation_id}")
    lines = page.locator("#thread .activity")
    expect(lines).to_have_count(2)
    expect(lines.first).to_contain_text("Tagged 退款 · by rule 退款")
    expect(lines.nth(1)).to_contain_text("Customer tagged asked refund · by rule Refund askers")
    expect(page.locator("#controls .chips li.tag")).to_have_attribute("title", "退款 — by rule 退款")
    expect(page.locator("#conversation-list .tag")).to_have_attribute("title", "退款 — by rule 退款")
    expect(page.locator("#contact .tag")).to_have_attribute("title", "asked refund — by rule Refund askers")

    page.locator("#assignee-select").select_option(label="yuki (me)")
    expect(lines).to_have_count(3)
    expect(lines.nth(2)).to_contain_text("Assigned to yuki · by yuki")
    page.locator("#resolve").click()
    expect(lines).to_have_count(4)
    expect(lines.nth(3)).to_contain_text("Resolved · by yuki")
    order = page.locator("#thread > *").evaluate_all("nodes => nodes.map(n => n.className.split(' ')[0])")
    assert order == ["day", "msg", "activity", "activity", "activity", "activity"]  # in time order
    assert page_errors == []


def test_the_team_filter_shows_each_teams_conversations(new_page, hub_server, page_errors):
    japan, japan_channel = one_team()
    hong_kong = make_team("Hong Kong")
    hk_channel = make_channel("telegram", "HK bot", team_ids=[hong_kong]).id or 0
    make_user("boss@shop.test", role="admin")
    customer_writes(japan_channel, "jp", "+819012340001", "返品したいです")
    customer_writes(hk_channel, "hk", "+85291110003", "我想退款")
    page = new_page()
    sign_in(page, "boss@shop.test")
    rows = page.locator("#conversation-list li.conv")
    expect(rows).to_have_count(2)
    page.locator("#filter-team").select_option(label="Japan")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("返品したいです")
    page.locator("#filter-team").select_option(label="Hong Kong")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("我想退款")

    page.locator("#filter-team").select_option(label="Japan")  # hand Japan's conversation to Hong Kong
    expect(rows.first).to_contain_text("返品したいです")  # redrawn first, or the click opens Hong Kong's
    rows.first.locator("a").click()
    page.locator("#team-select").select_option(label="Hong Kong")
    expect(page.locator("#thread .activity")).to_contain_text("Handed to team Hong Kong · by boss")
    expect(page.locator("#conversation-list")).to_contain_text("No conversations match these filters.")
    page.locator("#filter-team").select_option(label="Hong Kong")
    expect(rows).to_have_count(2)
    assert japan != hong_kong
    assert page_errors == []


def test_the_japanese_search_and_history_screenshot(new_page, hub_server, page_errors, tmp_path):
    _, channel_id = one_team()
    set_locale("yuki@shop.test", "ja")
    rule("返品", keywords("返品"), tag="返品")
    asked = customer_writes(channel_id, "ja", "+819012340001", "注文した商品を返品したいです。返金はいつになりますか？",
                            "サイズはMです", "よろしくお願いします")
    jobs.apply_rules(asked.id or 0)
    resolve(asked.conversation_id)
    shots = DOCS_SHOTS if os.environ.get("HUB_SCREENSHOTS") else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    page = new_page(1440, 900)
    sign_in(page, "yuki@shop.test")
    page.locator("#search").fill("返品")
    page.locator("#search").press("Enter")
    expect(page.locator("#search-scope")).to_have_text("検索範囲：すべてのステータス")
    page.locator("#conversation-list li.conv a").first.click()
    expect(page.locator("#thread .activity").first).to_contain_text("タグ「返品」を追加 · ルール「返品」による")
    expect(page.locator("#thread article.is-match mark")).to_have_text("返品")
    page.screenshot(path=str(shots / "inbox-search-ja.png"))
    assert page_errors == []
