"""The admin screens of issue 13 (items 15-17) in a real browser: a channel created in the UI shows its webhook URL
and its test message reaches the provider (the sandbox); a user gets a role and a team; a team gets a canned reply;
contacts are searched (in Chinese), edited and merged; /docs renders with every outside request blocked."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from hub.agents.models import TeamMember, User
from hub.audit.models import AuditEntry
from hub.contacts import service as contacts
from hub.contacts.identities import StoredIdentity
from hub.contacts.models import ChannelIdentity, Contact
from hub.conversations.canned_models import CannedReply
from hub.runtime.db import session_scope
from tests.conftest import wait_for
from tests.factories import make_channel, make_team, make_user
from tests.web.conftest import JOB_WAIT
from tests.web.test_inbox_browser import sign_in

pytestmark = pytest.mark.browser
DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"


def test_an_admin_creates_a_channel_sees_its_webhook_url_and_sends_a_test_message(new_page, hub_server, page_errors,
                                                                                  tmp_path):
    make_user("boss@shop.test", role="admin")
    make_team("Hong Kong")
    page = new_page(1280, 900)
    sign_in(page, "boss@shop.test")
    page.goto("/admin/channels")
    expect(page.get_by_text("No channels yet.")).to_be_visible()
    page.get_by_label("Kind").select_option("telegram")
    page.get_by_role("button", name="Choose").click()
    page.get_by_label("Name").fill("香港 Telegram bot")
    expect(page.get_by_label(re.compile(r"^bot_token"))).to_have_attribute("type", "password")  # write-only
    page.get_by_label("Hong Kong").check()
    page.get_by_role("button", name="Create the channel").click()
    expect(page.get_by_role("status")).to_contain_text("Channel created")
    with session_scope() as session:
        from hub.channel_records.models import Channel

        channel = session.exec(select(Channel)).one()
        channel_id = channel.id
    row = page.locator(f"#channel-{channel_id}")
    expect(row).to_contain_text("香港 Telegram bot")
    expect(row.get_by_role("textbox", name=re.compile("Webhook URL"))).to_have_value(
        f"{hub_server.url}/webhooks/telegram/{channel_id}")  # CONTRACT.md's path
    row.get_by_label("Telegram chat id").fill("700100200")
    row.get_by_label("Text").fill("測試訊息 from the admin")
    row.get_by_role("button", name="Send a test message").click()
    expect(page.get_by_role("status")).to_contain_text("Test message queued")
    sandbox = hub_server.app.state.sandbox  # type: ignore[attr-defined]
    sent = wait_for(lambda: [m for m in sandbox.messages(channel_id) if m.direction == "out"], timeout=JOB_WAIT)
    assert sent[0].text == "測試訊息 from the admin" and sent[0].customer == "700100200"
    shots = DOCS_SHOTS if os.environ.get("HUB_SCREENSHOTS") else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shots / "admin-channels.png"), full_page=True)
    assert page_errors == []


def test_an_admin_adds_a_user_with_a_role_and_team_and_a_teams_canned_reply(new_page, hub_server, page_errors):
    make_user("boss@shop.test", role="admin")
    team = make_team("Japan")
    page = new_page()
    sign_in(page, "boss@shop.test")
    page.goto("/admin/users")
    form = page.locator("form[action='/admin/users']")
    form.get_by_label("Email").fill("hanako@shop.test")
    form.get_by_label("Name", exact=True).fill("鈴木花子")
    form.get_by_label("Password (at least 8 characters)").fill("a long enough password")
    form.get_by_label("Role", exact=True).select_option("marketer")
    form.get_by_label("Japan").check()
    page.get_by_role("button", name="Add the user").click()
    expect(page.get_by_role("status")).to_contain_text("User saved.")
    expect(page.locator("li.user-row[data-email='hanako@shop.test']")).to_contain_text("鈴木花子")
    with session_scope() as session:
        user = session.exec(select(User).where(User.email == "hanako@shop.test")).one()
        assert user.role == "marketer"
        assert list(session.exec(select(TeamMember.team_id).where(TeamMember.user_id == user.id))) == [team]

    page.goto("/admin/canned-replies")
    page.get_by_label("Team").select_option(label="Japan")
    page.get_by_label("Shortcut").fill("thanks")
    page.get_by_label("Text").fill("{{ 'x' * 9 }}")
    page.get_by_role("button", name="Save the canned reply").click()
    expect(page.get_by_role("alert")).to_contain_text("placeholders may only name values")  # the reason, as a 422
    assert page_errors == ["console: Failed to load resource: the server responded with a status of 422 "
                           "(Unprocessable Entity)"]  # Chromium logs the refused form's status
    page_errors.clear()
    page.get_by_label("Team").select_option(label="Japan")
    page.get_by_label("Shortcut").fill("thanks")
    page.get_by_label("Text").fill("{{contact.first_name|default('お客様')}}様、ありがとうございます。")
    page.get_by_role("button", name="Save the canned reply").click()
    expect(page.get_by_role("status")).to_contain_text("Canned reply saved.")
    expect(page.locator("li.canned-row")).to_contain_text("/thanks")
    expect(page.locator("li.canned-row")).to_contain_text("Japan")
    with session_scope() as session:
        assert session.exec(select(CannedReply.team_id).where(CannedReply.shortcut == "thanks")).one() == team
    assert page_errors == []


@pytest.mark.both_backends
def test_an_admin_searches_edits_and_merges_contacts(new_page, hub_server, page_errors):
    make_user("boss@shop.test", role="admin")
    make_channel("telegram", "Bot")
    with session_scope() as session:
        keep = contacts.resolve(session=session, identities=[StoredIdentity("telegram", "111")], profile_name="陳大文")
        other = contacts.resolve(session=session, identities=[StoredIdentity("sms", "+85291234567", "+85291234567")],
                                 profile_name="陳 David")
        contacts.resolve(session=session, identities=[StoredIdentity("telegram", "333")], profile_name="鈴木花子")
        keep_id, other_id = keep.id, other.id
    page = new_page()
    sign_in(page, "boss@shop.test")
    page.goto("/admin/contacts")
    page.get_by_label("Search by name or address").fill("陳")
    page.get_by_role("button", name="Search").click()
    found = page.locator("li.contact-row")
    expect(found).to_have_count(2)
    expect(page.get_by_role("list", name="Contacts found")).not_to_contain_text("鈴木花子")
    page.get_by_role("link", name="陳大文").click()
    page.get_by_label("Time zone").fill("Asia/Hong_Kong")
    page.get_by_label("New field name").fill("member_no")
    page.get_by_label("New field value").fill("A123")
    page.get_by_role("button", name="Save the contact").click()
    expect(page.get_by_role("status")).to_contain_text("Contact saved.")
    expect(page.get_by_label("Value of member_no")).to_have_value("A123")
    page.goto("/admin/contacts?q=陳")
    page.get_by_role("link", name="陳大文").click()
    page.get_by_label("Contact to merge").select_option(value=str(other_id))
    page.get_by_role("button", name="Merge", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("Contacts merged.")
    with session_scope() as session:
        assert session.get(Contact, other_id) is None
        kept = session.get(Contact, keep_id)
        assert kept is not None and kept.timezone == "Asia/Hong_Kong" and kept.custom_fields == {"member_no": "A123"}
        owners = {i.value: i.contact_id for i in session.exec(select(ChannelIdentity))}
        assert owners["+85291234567"] == keep_id
        actions = [a.action for a in session.exec(select(AuditEntry).order_by(AuditEntry.id))]
        assert actions[-2:] == ["contact.changed", "contact.merged"]
    assert page_errors == []


def test_docs_render_with_the_network_blocked(new_page, hub_server, page_errors):
    make_user("boss@shop.test", role="admin")
    page = new_page()
    outside: list[str] = []

    def block(route):  # type: ignore[no-untyped-def]
        if route.request.url.startswith(hub_server.url):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", block)
    sign_in(page, "boss@shop.test")
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("Hub")
    expect(page.locator(".opblock-tag-section").first).to_be_visible()
    assert outside == []
