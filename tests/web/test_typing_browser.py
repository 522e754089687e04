"""The agent sees a web chat visitor typing, in the agent's language, until the visitor stops."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.factories import make_channel, make_team
from tests.web.test_inbox_browser import sign_in
from tests.web.test_staff_browser import agent, not_favicon

pytestmark = pytest.mark.browser


def test_the_agent_sees_the_visitor_typing_and_it_goes_away_by_itself(new_page, hub_server, page_errors):
    team = make_team("Japan")
    channel = make_channel("webchat", "Shop widget", team_ids=[team]).id or 0
    agent("yuki@shop.test", team, locale="ja", name="Yuki Sato")
    visitor = new_page(locale="ja-JP")
    visitor.goto(f"/webchat/{channel}/demo")
    visitor.get_by_role("button", name="チャットを開く").click()
    box = visitor.get_by_label("メッセージを入力…")
    box.fill("返品できますか")
    visitor.keyboard.press("Enter")
    expect(visitor.locator('[data-hub="visitor"]')).to_contain_text("✓")

    staff = new_page()
    sign_in(staff, "yuki@shop.test")
    staff.locator("#conversation-list li.conv a").first.click()
    expect(staff.locator("#thread .msg-in")).to_have_count(1)
    typing = staff.locator("#visitor-typing")
    expect(typing).to_be_hidden()
    box.press_sequentially("レシートが")
    expect(typing).to_have_text("入力中…")
    expect(typing).to_be_hidden(timeout=12_000)  # the visitor stopped: it expires on its own after ~6 s
    expect(staff.locator("#thread .msg-in")).to_have_count(1)  # typing never became a message
    box.press_sequentially("ありません")
    expect(typing).to_be_visible()
    visitor.keyboard.press("Enter")
    expect(staff.locator("#thread .msg-in")).to_have_count(2)
    expect(typing).to_be_hidden()  # the message itself replaced the indicator
    assert not_favicon(page_errors) == []
