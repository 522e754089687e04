"""Bots in a real browser: the shop assistant's bot steps drawn and edited in the journeys editor and checked
clean; the knowledge base page adds an entry (text shown as text); an agent hands a conversation back to the
bot from the inbox."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from flows.bots.templates import shop_assistant
from flows.journeys import service as journeys
from hub.runtime.db import session_scope
from tests.factories import make_channel, make_team, make_user
from tests.web.test_campaigns_browser import sign_in

pytestmark = pytest.mark.browser
MARKUP = "<img src=x onerror=alert(1)>"


def ready(page) -> None:  # type: ignore[no-untyped-def]
    expect(page.locator("body")).to_have_attribute("data-ready", "true")


def test_the_editor_draws_and_checks_the_bot_steps_and_the_knowledge_page_adds_an_entry(new_page, hub_server,
                                                                                      page_errors):
    make_user("mia@shop.test", role="marketer")
    with session_scope() as session:
        flow = journeys.create(session=session, name="Shop assistant", definition=shop_assistant())
        flow_id = flow.id
    page = new_page(width=1440, height=900)
    sign_in(page, "mia@shop.test")
    page.goto(f"/flows/{flow_id}")
    ready(page)
    menu = page.locator("#nodes .jr-node[data-id='main']")
    expect(menu).to_have_attribute("data-type", "bot_menu")
    expect(menu).to_contain_text("Bot: menu")
    expect(page.locator("#nodes")).to_contain_text("A customer writes to the bot")  # the trigger, above
    menu.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#panel-form")).to_have_attribute("data-node", "main")
    expect(page.locator("#panel-form select[data-port='option:refund']")).to_have_count(1)
    expect(page.locator("#panel-form")).to_contain_text("Words that also choose it")
    page.locator("#flow-validate").click()
    expect(page.locator("#problems-none")).to_have_text("No problems found.")

    page.goto("/bots")
    expect(page.locator("#knowledge-table")).to_be_visible()
    page.locator("#entry-locale").select_option("zh-Hant")
    page.locator("#entry-question").fill(f"有沒有門市？{MARKUP}")
    page.locator("#entry-answer").fill("有，我們在銅鑼灣。")
    page.locator("#entry-keywords").fill("門市, 分店")
    page.get_by_role("button", name="Save").click()
    row = page.locator("#knowledge-rows tr.entry-row")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(f"有沒有門市？{MARKUP}")  # shown as text, not run
    expect(row).to_contain_text("門市, 分店")
    assert not page_errors


def test_an_agent_hands_a_conversation_back_to_the_bot_from_the_inbox(new_page, hub_server, page_errors):
    from datetime import UTC, datetime

    from channels import IdentityRef, InboundMessage
    from hub.ingest.service import receive

    team = make_team("Support")
    channel = make_channel("telegram", "Shop bot", team_ids=[team])
    make_user("sam@shop.test", team_ids=[team])
    with session_scope() as session:
        message = receive(session=session, channel_id=channel.id or 0, inbound=InboundMessage(
            provider_message_id="hello:1", identities=(IdentityRef("telegram", "700100777"),), kind="text",
            text="人工", sent_at=datetime.now(UTC), profile_name="陳大文"))
        assert message is not None
        conversation_id = message.conversation_id
    page = new_page(width=1440, height=900)
    sign_in(page, "sam@shop.test", landing=r"/(inbox|conversations)?.*")
    page.goto(f"/conversations/{conversation_id}")
    toggle = page.locator("#automation-toggle")
    expect(toggle).to_have_text("Hand back to the bot")
    toggle.click()
    expect(page.locator("#automation")).to_contain_text("The bot answers")
    expect(toggle).to_have_text(re.compile("Take over from the bot"))
    assert not page_errors


def test_the_console_chats_with_the_bot_in_the_channels_rendering(new_page, hub_server, page_errors):
    from flows.bots import service as bots
    from flows.journeys import service as journeys

    make_user("mia@shop.test", role="marketer")
    channel = make_channel("telegram", "Shop bot")
    with session_scope() as session:
        flow = journeys.create(session=session, name="Shop assistant", definition=shop_assistant())
        journeys.publish(session=session, flow_id=flow.id or 0)
        bots.create(session=session, values={"name": "Assistant", "flow_id": flow.id, "channel_ids": [channel.id]},
                    actor_id=None)
    page = new_page(width=1280, height=900)
    sign_in(page, "mia@shop.test")
    page.goto("/bots")
    page.locator("#console-channel").select_option(str(channel.id))
    page.locator("#console-text").fill("hello there")
    page.locator("#console-form").get_by_role("button", name="Send").click()
    lines = page.locator("#console-lines .bot-line-out")
    expect(lines.last).to_contain_text("Hi! How can I help?")
    lines.last.get_by_role("button", name="Ask a question").click()  # Telegram's own buttons, tapped
    expect(lines.last).to_contain_text("What would you like to know?")
    assert not page_errors
