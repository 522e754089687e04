"""An agent's day-one expectations in a real browser: the online/away switch assignment respects, desktop
notifications with a sound for their conversations (asked once, can be turned off), the unread count in the tab,
undo after resolving, the first-response countdown, canned replies' text in the `/` popup, and a phone's list
without the dead reply box."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from hub.agents.models import User
from hub.assignment.models import ConversationAssignment
from hub.conversations.canned_models import CannedReply
from hub.conversations.models import Conversation
from hub.runtime.db import session_scope, utcnow
from tests.conftest import wait_for
from tests.web import scene
from tests.web.conftest import JOB_WAIT
from tests.web.test_inbox_browser import one_team, sign_in, webhook

pytestmark = pytest.mark.browser
DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"

FAKES = """
window.__notes = []; window.__asked = 0; window.__beeps = 0; window.__perm = "default";
window.Notification = class {
  constructor(title, options) { window.__notes.push({ title, body: options && options.body }); }
  close() {}
  static get permission() { return window.__perm; }
  static requestPermission() { window.__asked += 1; window.__perm = "granted"; return Promise.resolve("granted"); }
};
window.AudioContext = class {
  constructor() { this.currentTime = 0; this.destination = {}; }
  createOscillator() { return { frequency: {}, connect: (next) => next, start() { window.__beeps += 1; }, stop() {} }; }
  createGain() { return { gain: { setValueAtTime() {}, exponentialRampToValueAtTime() {} }, connect: (next) => next }; }
};
"""


def first_conversation(url: str, channel_id: int) -> int:
    webhook(url, channel_id, 1001)

    def found() -> int | None:
        with session_scope() as session:
            return session.exec(select(Conversation.id).where(Conversation.channel_id == channel_id)).first()

    return wait_for(found, timeout=JOB_WAIT)


def assign_to(conversation_id: int, email: str, deadline_minutes: int | None = None) -> None:
    with session_scope() as session:
        user = session.exec(select(User).where(User.email == email)).one()
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        conversation.assignee_id = user.id
        session.add(conversation)
        if deadline_minutes is not None:
            session.add(ConversationAssignment(conversation_id=conversation_id, assignee_id=user.id,
                                               assignment_source="policy:round_robin",
                                               deadline_at=utcnow() + timedelta(minutes=deadline_minutes)))


def test_the_online_away_switch_sets_the_presence_assignment_reads(new_page, hub_server, page_errors):
    one_team()
    page = new_page()
    sign_in(page, "yuki@shop.test")
    switch = page.locator("#presence")
    expect(switch).to_have_text("Away")  # a new agent starts offline: nothing is assigned to them
    switch.click()
    expect(switch).to_have_text("Online")
    expect(switch).to_have_attribute("aria-pressed", "true")

    def online() -> bool:
        with session_scope() as session:
            return session.exec(select(User.online).where(User.email == "yuki@shop.test")).one()

    wait_for(online, timeout=JOB_WAIT)
    page.reload()
    expect(page.locator("#presence")).to_have_text("Online")  # kept on the server, not in the page
    page.locator("#presence").click()
    expect(page.locator("#presence")).to_have_text("Away")
    wait_for(lambda: not online(), timeout=JOB_WAIT)
    assert page_errors == []


def test_my_new_messages_notify_with_a_sound_and_count_in_the_tab_until_turned_off(new_page, hub_server,
                                                                                   page_errors):
    _, channel_id = one_team()
    hanako = first_conversation(hub_server.url, channel_id)
    webhook(hub_server.url, channel_id, 2001, user_id=700100300, first_name="太郎", last_name="山田", text="こんにちは")

    def taro() -> int | None:
        with session_scope() as session:
            return session.exec(select(Conversation.id).where(Conversation.id != hanako)).first()

    taro_id = wait_for(taro, timeout=JOB_WAIT)
    assign_to(hanako, "yuki@shop.test")
    assign_to(taro_id, "yuki@shop.test")
    page = new_page()
    page.add_init_script(FAKES)
    sign_in(page, "yuki@shop.test")
    expect(page).to_have_title("(2) Inbox · Hub")  # two unread conversations, in the tab
    page.locator("#list-count").click()  # the first click asks for permission, once
    page.locator("#list-count").click()
    assert page.evaluate("window.__asked") == 1
    expect(page.locator("#notify-toggle")).to_have_text("Notifications on")

    webhook(hub_server.url, channel_id, 1002, text="まだ在庫はありますか？")
    wait_for(lambda: page.evaluate("window.__notes.length") == 1, timeout=JOB_WAIT)  # the CSP bars wait_for_function
    assert page.evaluate("window.__notes[0]") == {"title": "New message from 花子 鈴木",
                                                  "body": "まだ在庫はありますか？"}
    assert page.evaluate("window.__beeps") == 1

    page.goto(f"/conversations/{hanako}")  # reading one clears its count (the fakes start again at 0)
    expect(page).to_have_title("(1) Inbox · Hub")
    page.locator("#notify-toggle").click()
    expect(page.locator("#notify-toggle")).to_have_text("Notifications off")
    webhook(hub_server.url, channel_id, 2002, user_id=700100300, first_name="太郎", last_name="山田", text="もしもし")
    row = page.locator(f'#conversation-list li.conv[data-id="{taro_id}"]')
    expect(row).to_contain_text("もしもし")  # it arrived, and made no sound or notification
    assert page.evaluate("window.__notes.length") == 0 and page.evaluate("window.__beeps") == 0
    assert page_errors == []


def test_resolve_can_be_undone_for_a_few_seconds(new_page, hub_server, page_errors):
    _, channel_id = one_team()
    conversation_id = first_conversation(hub_server.url, channel_id)
    page = new_page()
    sign_in(page, "yuki@shop.test")
    page.locator("#conversation-list li.conv a").first.click()
    page.get_by_role("button", name="Resolve").click()
    expect(page.locator("#undo")).to_be_visible()
    expect(page.locator("#undo-text")).to_have_text("Resolved.")
    expect(page.get_by_role("button", name="Reopen")).to_be_visible()
    page.get_by_role("button", name="Undo").click()
    expect(page.get_by_role("button", name="Resolve")).to_be_visible()
    expect(page.locator("#undo")).to_be_hidden()
    with session_scope() as session:
        assert session.get(Conversation, conversation_id).status == "open"
    assert page_errors == []


def test_the_first_response_deadline_counts_down_until_answered(new_page, hub_server, page_errors):
    _, channel_id = one_team()
    conversation_id = first_conversation(hub_server.url, channel_id)
    assign_to(conversation_id, "yuki@shop.test", deadline_minutes=30)
    page = new_page()
    sign_in(page, "yuki@shop.test")
    page.goto(f"/conversations/{conversation_id}")
    due = page.locator("#due")
    expect(due).to_have_text(re.compile(r"^First reply due in (29|30) min$"))
    page.get_by_role("combobox", name="Message").fill("お問い合わせありがとうございます。")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(due).to_be_hidden()  # answered: no deadline any more
    assert page_errors == []


def test_the_canned_popup_shows_each_replys_text(new_page, hub_server, page_errors):
    team, channel_id = one_team()
    first_conversation(hub_server.url, channel_id)
    with session_scope() as session:
        session.add(CannedReply(shortcut="delivery", title="Delivery times",
                                text="We deliver within 2 working days.", team_id=team))
    page = new_page()
    sign_in(page, "yuki@shop.test")
    page.locator("#conversation-list li.conv a").first.click()
    page.get_by_role("combobox", name="Message").fill("/deli")
    option = page.locator("#canned").get_by_role("option")
    expect(option).to_have_count(1)
    expect(option).to_contain_text("Delivery times")
    expect(option.locator(".canned-text")).to_have_text("We deliver within 2 working days.")
    assert page_errors == []


def test_a_phone_shows_the_list_without_a_dead_reply_box(new_page, hub_server, page_errors):
    _, channel_id = one_team()
    first_conversation(hub_server.url, channel_id)
    page = new_page(width=375, height=740)
    sign_in(page, "yuki@shop.test")
    expect(page.locator("#conversation-list li.conv")).to_be_visible()
    expect(page.locator("#composer")).to_be_hidden()
    expect(page.locator("#thread-pane")).to_be_hidden()
    page.locator("#conversation-list li.conv a").first.click()
    expect(page.locator("#composer-text")).to_be_visible()
    expect(page.locator("#composer-text")).to_be_enabled()
    page.get_by_role("button", name="Back to the conversation list").click()
    expect(page.locator("#composer")).to_be_hidden()
    assert page_errors == []


def test_the_japanese_inbox_screenshot(new_page, hub_server, page_errors, tmp_path):
    built = scene.build()
    with session_scope() as session:
        sam = session.get(User, built.agent.id)
        assert sam is not None
        sam.locale, sam.online = "ja", True
        session.add(sam)
    shots = DOCS_SHOTS if os.environ.get("HUB_SCREENSHOTS") else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    page = new_page(1440, 900)
    sign_in(page, "sam@shop.test")
    page.goto(f"/conversations/{built.main}")
    expect(page.locator("#thread .msg-note")).to_be_visible()
    expect(page.locator("#presence")).to_have_text("オンライン")
    expect(page.locator("#composer-paylink")).to_have_text("支払いリンク")
    page.locator("#composer-text").fill("ご注文ありがとうございます。お支払いリンクをお送りします。")
    page.screenshot(path=str(shots / "inbox-ja.png"))
    assert page_errors == []


def test_bulk_select_assigns_tags_and_resolves_several_conversations(new_page, hub_server, page_errors):
    _, channel_id = one_team()
    for number, (first, last) in enumerate((("花子", "鈴木"), ("太郎", "山田"), ("Emily", "Clark"))):
        webhook(hub_server.url, channel_id, 3001 + number, user_id=700100200 + number, first_name=first,
                last_name=last)

    def three() -> list[int] | None:
        with session_scope() as session:
            ids = list(session.exec(select(Conversation.id).order_by(Conversation.id)))  # type: ignore[arg-type]
        return ids if len(ids) == 3 else None

    ids = wait_for(three, timeout=JOB_WAIT)
    page = new_page()
    sign_in(page, "yuki@shop.test")
    expect(page.locator("#conversation-list li.conv")).to_have_count(3)
    bar = page.get_by_role("group", name="Selected conversations")
    expect(bar).to_be_hidden()
    page.get_by_role("checkbox", name="Select 花子 鈴木").check()
    page.get_by_role("checkbox", name="Select 太郎 山田").check()
    expect(bar).to_be_visible()
    expect(page.locator("#bulk-count")).to_have_text("2 selected")
    page.get_by_label("Assign the selected to").select_option(label="yuki (me)")
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.locator("#undo-text")).to_have_text("Done for 2 conversations.")
    expect(bar).to_be_hidden()
    expect(page.get_by_role("checkbox", name="Select 花子 鈴木")).not_to_be_checked()  # the next pick starts afresh
    page.get_by_role("checkbox", name="Select 花子 鈴木").check()
    page.get_by_role("checkbox", name="Select 太郎 山田").check()
    page.get_by_label("Tag the selected").fill("vip")
    page.get_by_role("button", name="Tag", exact=True).click()
    expect(page.locator("#conversation-list .tag", has_text="vip")).to_have_count(2)
    page.get_by_role("checkbox", name="Select 花子 鈴木").check()
    page.get_by_role("checkbox", name="Select 太郎 山田").check()
    bar.get_by_role("button", name="Resolve").click()
    expect(page.locator("#conversation-list li.conv")).to_have_count(1)  # the open list keeps only Emily's
    expect(page.locator("#conversation-list")).to_contain_text("Emily Clark")
    with session_scope() as session:
        rows = {c.id: c for c in session.exec(select(Conversation))}
        me = session.exec(select(User.id).where(User.email == "yuki@shop.test")).one()
    assert [(rows[i].status, rows[i].assignee_id) for i in ids] == [("resolved", me), ("resolved", me), ("open", None)]
    assert page_errors == []
