"""The inbox's screens: keyboard shortcuts, canned replies, the 24-hour notice, a 375 px phone, screenshots."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from playwright.sync_api import expect

from hub.conversations.models import Conversation
from hub.runtime.db import session_scope
from tests.web import scene
from tests.web.test_inbox_browser import sign_in

pytestmark = pytest.mark.browser
DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
"""`HUB_SCREENSHOTS=1` writes the screenshots there; otherwise they go to the test's temporary directory."""


def test_keyboard_canned_replies_and_the_whatsapp_window(new_page, hub_server, page_errors):
    built = scene.build()
    page = new_page()
    sign_in(page, "sam@shop.test")
    rows = page.locator("#conversation-list li.conv")
    expect(rows).to_have_count(5)
    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keyboard shortcuts")).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.locator("#help")).to_be_hidden()
    page.keyboard.press("j")  # the newest: 山田太郎, whose WhatsApp window closed 6 hours ago
    expect(page.locator("#thread-title")).to_have_text("山田太郎")
    notice = page.locator("#window-notice")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("24 hours")
    expect(page.locator("#composer-text")).to_be_disabled()
    page.get_by_label("Private note").check()
    expect(notice).to_be_hidden()
    expect(page.locator("#composer-text")).to_be_enabled()
    page.keyboard.press("Escape")  # leaves the form: the shortcuts work again
    for _ in range(4):  # down the list to the oldest: 陳大文 on WhatsApp
        page.keyboard.press("j")
    expect(page.locator("#thread-sub")).to_contain_text("WhatsApp HK")
    expect(page.locator("#thread-title")).to_have_text("陳大文")
    thread = page.locator("#thread")
    expect(thread.locator(".msg-note")).to_contain_text("VIP 客人")
    expect(thread.locator(".msg-error")).to_contain_text("Re-engagement message")
    expect(thread.locator(".msg-out .tick-read")).to_have_count(1)
    expect(thread.locator(".is-elsewhere")).to_contain_text("via SMS HK")
    page.keyboard.press("/")
    popup = page.locator("#canned")
    expect(popup).to_be_visible()
    page.keyboard.type("deliv")
    expect(popup.locator("li")).to_have_count(1)
    page.keyboard.press("Enter")
    expect(page.locator("#composer-text")).to_have_value("Hi 陳大文, we deliver within 2 working days.")
    page.locator("#composer-text").fill("")
    page.locator("#composer-text").blur()
    page.keyboard.press("e")
    expect(page.locator("#status-select")).to_have_value("resolved")
    with session_scope() as session:
        assert session.get(Conversation, built.main).status == "resolved"
    assert page_errors == []


def _fits(page) -> bool:  # type: ignore[no-untyped-def]
    return bool(page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth"))


def test_screenshots_and_a_375px_phone(new_page, hub_server, page_errors, tmp_path):
    built = scene.build()
    shots = DOCS_SHOTS if os.environ.get("HUB_SCREENSHOTS") else tmp_path
    shots.mkdir(parents=True, exist_ok=True)
    desk = new_page(1440, 900)
    sign_in(desk, "sam@shop.test")
    desk.goto(f"/conversations/{built.main}")
    expect(desk.locator("#thread .msg-note")).to_be_visible()
    expect(desk.locator("#contact .contact-name")).to_have_text("陳大文")
    desk.screenshot(path=str(shots / "inbox.png"))

    phone = new_page(375, 812)
    sign_in(phone, "sam@shop.test")
    expect(phone.locator("#conversation-list li.conv")).to_have_count(5)
    assert _fits(phone)
    phone.locator(f'#conversation-list a[href="/conversations/{built.main}"]').click()
    expect(phone.locator("#thread .msg-note")).to_be_visible()
    expect(phone.locator("#list-pane")).to_be_hidden()
    assert _fits(phone)
    phone.screenshot(path=str(shots / "thread.png"))
    phone.get_by_role("button", name="Contact").click()
    expect(phone.locator("#contact-pane")).to_be_visible()
    expect(phone.locator("#contact")).to_contain_text("HK-20931")
    expect(phone.locator("#contact")).to_contain_text("Opted out")
    assert _fits(phone)
    phone.screenshot(path=str(shots / "contact.png"))
    phone.get_by_role("button", name="Close the contact panel").click()
    phone.get_by_role("button", name="Back to the conversation list").click()
    expect(phone.locator("#list-pane")).to_be_visible()
    assert page_errors == []
