"""The inbox in a real browser: live arrivals, replies with their ticks, team walls, and customer text
that is shown and never run."""

from __future__ import annotations

import re

import httpx
import pytest
from playwright.sync_api import expect
from sqlmodel import select

from channels import StatusUpdate
from hub.conversations.models import Conversation, Message
from hub.conversations.service import apply_receipts
from hub.runtime import events
from hub.runtime.db import session_scope, utcnow
from tests.conftest import wait_for
from tests.factories import PASSWORD, make_channel, make_team, make_user, telegram_headers, telegram_update
from tests.web.conftest import JOB_WAIT

pytestmark = pytest.mark.browser


def sign_in(page, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")


def webhook(url: str, channel_id: int, update_id: int, **fields: object) -> None:
    answer = httpx.post(f"{url}/webhooks/telegram/{channel_id}", headers=telegram_headers(channel_id),
                        content=telegram_update(update_id, **fields), timeout=10)  # type: ignore[arg-type]
    assert answer.status_code == 200, answer.text


def one_team() -> tuple[int, int]:
    team = make_team("Japan")
    channel = make_channel("telegram", "Telegram bot", team_ids=[team])
    make_user("yuki@shop.test", team_ids=[team])
    assert channel.id is not None
    return team, channel.id


@pytest.mark.both_backends
def test_a_conversation_arrives_live_and_the_reply_ticks_to_delivered(new_page, hub_server, page_errors):
    _, channel_id = one_team()
    page = new_page()
    sign_in(page, "yuki@shop.test")
    expect(page.locator("#conversation-list")).to_contain_text("No conversations")
    webhook(hub_server.url, channel_id, 1001)
    row = page.locator("#conversation-list li.conv")
    expect(row).to_have_count(1)  # no reload: the WebSocket brought it
    expect(row).to_contain_text("花子 鈴木")
    expect(row).to_contain_text("このジャケットのMサイズは在庫ありますか")
    row.locator("a").click()
    expect(page.locator("#thread .msg-in")).to_contain_text("このジャケットのMサイズは在庫ありますか")
    expect(page.locator("#contact")).to_contain_text("700100200")
    page.get_by_role("combobox", name="Message").fill("はい、在庫がございます 🙂")
    page.get_by_role("button", name="Send").click()
    reply = page.locator("#thread .msg-out")
    expect(reply).to_contain_text("はい、在庫がございます 🙂")
    expect(reply.locator(".tick")).to_have_attribute("aria-label", "Sent")  # the worker sent it to the sandbox

    def sent_id() -> str | None:
        with session_scope() as session:
            row = session.exec(select(Message).where(Message.direction == "outbound")).first()
            return row.provider_message_id if row and row.status == "sent" else None

    provider_id = wait_for(sent_id, timeout=JOB_WAIT)
    with session_scope() as session:
        apply_receipts(session=session, receipts=[
            (channel_id, StatusUpdate(provider_message_id=provider_id, status="delivered", at=utcnow()))])
    expect(reply.locator(".tick")).to_have_attribute("aria-label", "Delivered")
    expect(reply.locator(".tick")).to_have_text("✓✓")
    assert page_errors == []


def test_a_late_sent_event_never_moves_a_delivered_tick_back(new_page, hub_server, page_errors):
    """The worker announces "sent" after its commit; the phone's "delivered" can be announced first."""
    _, channel_id = one_team()
    page = new_page()
    sign_in(page, "yuki@shop.test")
    webhook(hub_server.url, channel_id, 1001)
    page.locator("#conversation-list li.conv a").click()
    box = page.get_by_role("combobox", name="Message")
    for text in ("一つ目", "二つ目"):
        box.fill(text)
        page.get_by_role("button", name="Send").click()
        expect(page.locator("#thread .msg-out", has_text=text)).to_be_visible()

    def both_sent() -> list[Message] | None:
        with session_scope() as session:
            rows = session.exec(select(Message).where(Message.direction == "outbound").order_by(Message.id)).all()
            return list(rows) if len(rows) == 2 and all(row.status == "sent" for row in rows) else None

    first, second = wait_for(both_sent, timeout=JOB_WAIT)
    for message in (first, second):
        with session_scope() as session:
            apply_receipts(session=session, receipts=[(channel_id, StatusUpdate(
                provider_message_id=message.provider_message_id or "", status="delivered", at=utcnow()))])
    ticks = [page.locator("#thread .msg-out", has_text=text).locator(".tick") for text in ("一つ目", "二つ目")]
    for tick in ticks:
        expect(tick).to_have_attribute("aria-label", "Delivered")
    with session_scope() as session:  # one batch, in this order: a stale "sent" for the first, then a read
        events.emit(session, events.MESSAGE_STATUS, message_id=first.id, conversation_id=first.conversation_id,
                    status="sent", error_code=None, error_reason=None)
        apply_receipts(session=session, receipts=[(channel_id, StatusUpdate(
            provider_message_id=second.provider_message_id or "", status="read", at=utcnow()))])
    expect(ticks[1]).to_have_attribute("aria-label", "Read")
    assert ticks[0].get_attribute("aria-label") == "Delivered"
    assert ticks[0].inner_text() == "✓✓"
    assert page_errors == []


def test_an_agent_cannot_open_another_teams_conversation(new_page, hub_server, page_errors):
    _, channel_a = one_team()
    team_b = make_team("Hong Kong")
    channel_b = make_channel("telegram", "HK bot", team_ids=[team_b]).id
    assert channel_b is not None
    webhook(hub_server.url, channel_a, 2001, user_id=111, text="team A's customer")
    webhook(hub_server.url, channel_b, 2002, user_id=222, text="team B's customer")

    def conversation_of(channel_id: int) -> int | None:
        with session_scope() as session:
            return session.exec(select(Conversation.id).where(Conversation.channel_id == channel_id)).first()

    wait_for(lambda: conversation_of(channel_a) and conversation_of(channel_b), timeout=JOB_WAIT)
    theirs = conversation_of(channel_b)
    page = new_page()
    sign_in(page, "yuki@shop.test")
    expect(page.locator("#conversation-list")).to_contain_text("team A's customer")
    expect(page.locator("#conversation-list")).not_to_contain_text("team B's customer")
    answer = page.goto(f"/conversations/{theirs}")
    assert answer is not None and answer.status == 404
    expect(page.locator("h1")).to_have_text("Not found")
    expect(page.locator("body")).not_to_contain_text("team B's customer")
    api = page.request.get(f"/api/v1/conversations/{theirs}/messages")
    assert api.status == 404
    history = page.request.get(f"/api/v1/inbox/conversations/{theirs}/history")
    assert history.status == 404 and "team B" not in history.text()
    assert [e for e in page_errors if "status of 404" not in e] == []  # the refused page itself


def test_customer_markup_is_shown_as_text_and_never_runs(new_page, hub_server, page_errors):
    _, channel_id = one_team()
    webhook(hub_server.url, channel_id, 3001, first_name="<svg onload=alert(1)>", last_name="",
            text="<img src=x onerror=alert(1)> <script>alert(2)</script>")

    def stored() -> bool:
        with session_scope() as session:
            query = select(Conversation.id).where(Conversation.channel_id == channel_id)
            return session.exec(query).first() is not None

    wait_for(stored, timeout=JOB_WAIT)
    page = new_page()
    sign_in(page, "yuki@shop.test")
    row = page.locator("#conversation-list li.conv")
    expect(row).to_contain_text("<svg onload=alert(1)>")
    row.locator("a").click()
    message = page.locator("#thread .msg-in .msg-text")
    expect(message).to_have_text("<img src=x onerror=alert(1)> <script>alert(2)</script>")
    expect(page.locator("#contact .contact-name")).to_have_text("<svg onload=alert(1)>")
    expect(page.locator("#thread-title")).to_have_text("<svg onload=alert(1)>")
    assert page.locator("main img, main svg, main script").count() == 0
    page.keyboard.press("c")
    page.wait_for_timeout(300)  # give any injected handler the chance to fire
    assert page_errors == []


def test_a_marketer_allowed_to_read_transcripts_reads_but_cannot_answer(new_page, hub_server, page_errors):
    from hub.agents.admin import set_teams
    from hub.agents.models import User

    team, channel_id = one_team()
    marketer = make_user("ads@shop.test", role="marketer")
    with session_scope() as session:
        row = session.get(User, marketer.id)
        row.reads_transcripts = True
        set_teams(session=session, user_id=marketer.id or 0, team_ids=[team])
    webhook(hub_server.url, channel_id, 4001, text="セールはいつまでですか")

    def stored() -> bool:
        with session_scope() as session:
            query = select(Conversation.id).where(Conversation.channel_id == channel_id)
            return session.exec(query).first() is not None

    wait_for(stored, timeout=JOB_WAIT)
    page = new_page()
    sign_in(page, "ads@shop.test")
    row = page.locator("#conversation-list li.conv")
    expect(row).to_contain_text("セールはいつまでですか")
    row.locator("a").click()
    expect(page.locator("#thread .msg-in")).to_contain_text("セールはいつまでですか")
    expect(page.get_by_role("combobox", name="Message")).to_be_disabled()
    expect(page.locator("#controls")).to_be_hidden()
    assert page_errors == []
