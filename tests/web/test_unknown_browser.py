"""An outbound message that may not have been sent (`unknown`) in the inbox thread: it says so, and a new
message goes out only when the agent clicks Resend."""

from __future__ import annotations

from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from hub import outbound
from hub.conversations.models import Conversation, Message
from hub.runtime.db import session_scope
from tests.conftest import wait_for
from tests.web.conftest import JOB_WAIT
from tests.web.test_inbox_browser import one_team, sign_in, webhook

pytestmark = pytest.mark.browser


def unknown_reply(channel_id: int, text: str) -> int:
    """A reply whose provider never answered: claimed, then its worker gone."""
    with session_scope() as session:
        conversation = session.exec(select(Conversation).where(Conversation.channel_id == channel_id)).one()
        assert conversation.id is not None
        [(message_id, _)] = outbound.enqueue(session, [outbound.Draft(conversation.id, channel_id, text=text)])
        assert outbound.claim(session, [message_id], timedelta(seconds=60))
        assert outbound.mark_lapsed(session, message_ids=[message_id]) == [message_id]
    return message_id


def test_a_reply_that_may_not_have_been_sent_is_resent_only_on_a_click(new_page, hub_server, page_errors):
    _, channel_id = one_team()
    webhook(hub_server.url, channel_id, 2001)
    wait_for(lambda: _conversations(channel_id) == 1, timeout=JOB_WAIT)
    first = unknown_reply(channel_id, "明日届きます")
    page = new_page()
    sign_in(page, "yuki@shop.test")
    page.locator("#conversation-list li.conv a").first.click()
    old = page.locator(f'#thread article.msg[data-id="{first}"]')
    expect(old.locator(".msg-unknown")).to_contain_text("May not have been sent")
    assert _sent_to_sandbox(hub_server) == 0  # nothing sends it by itself
    old.get_by_role("button", name="Resend").click()
    expect(page.locator("#thread .msg-out")).to_have_count(2)
    expect(page.locator("#thread .msg-out").last.locator(".tick")).to_have_attribute("aria-label", "Sent")
    expect(old.locator(".msg-unknown")).to_contain_text("sent again as a new message")
    expect(old.get_by_role("button", name="Resend")).to_have_count(0)
    assert _sent_to_sandbox(hub_server) == 1
    assert page_errors == []


def _conversations(channel_id: int) -> int:
    with session_scope() as session:
        return len(session.exec(select(Conversation.id).where(Conversation.channel_id == channel_id)).all())


def _sent_to_sandbox(hub_server) -> int:  # type: ignore[no-untyped-def]
    with session_scope() as session:
        return len(session.exec(select(Message.id).where(Message.direction == "outbound",
                                                         Message.status.in_(("sent", "delivered", "read")))).all())
