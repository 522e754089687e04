"""The customer phone page in a real browser (Chromium): it renders under its CSP, escapes the shop's
text, sends taps and typed text, and does not send on Enter while an input method is composing."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from channels.meta import MetaWhatsApp
from channels.sandbox import SandboxState, serve_sandbox
from channels.twilio import TwilioWhatsApp
from channels.types import Button, ChannelConfig, IdentityRef, OutboundMessage

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="needs Chromium at /usr/bin/chromium"),
]
META = MetaWhatsApp()
TWILIO_WA = TwilioWhatsApp()
CUSTOMER = IdentityRef("phone", "+85291234567")
HOSTILE = '<img src=x onerror="document.title=1">確認訂單？'


async def test_the_phone_page_in_chromium() -> None:
    playwright_api = pytest.importorskip("playwright.async_api")
    with serve_sandbox(SandboxState(receipts="off")) as sandbox:
        channel = ChannelConfig(allow_private_urls=True, id=71, kind="whatsapp_meta", config={}, public_url=sandbox.url)
        sandbox.state.add_channel(channel)
        await META.send(channel, OutboundMessage(to=CUSTOMER, kind="buttons", text=HOSTILE, header="訂單 #1234",
                                                 buttons=(Button("確認", id="confirm"), Button("取消", id="cancel"))))
        async with playwright_api.async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            try:
                page = await browser.new_page(viewport={"width": 390, "height": 780})
                problems: list[str] = []
                page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
                page.on("pageerror", lambda error: problems.append(str(error)))
                await page.goto(f"{sandbox.url}/sandbox/phone/71")
                await page.wait_for_selector(".bubble.shop")

                assert await page.locator(".bubble.shop .text").inner_text() == HOSTILE
                assert await page.locator(".bubble img").count() == 0

                await page.click('button.button:text-is("確認")')
                await sandbox.inbox.wait_for(1, channel_id=71)

                await page.fill("#text", "にほんご")
                await page.dispatch_event("#text", "compositionstart")
                await page.press("#text", "Enter")
                await page.dispatch_event("#text", "compositionend")
                await page.wait_for_timeout(200)
                assert len(sandbox.inbox.received(channel_id=71)) == 1  # Enter picked a candidate: not sent

                await page.press("#text", "Enter")
                await sandbox.inbox.wait_for(2, channel_id=71)
                await page.wait_for_selector(".bubble.customer >> nth=1")
            finally:
                await browser.close()

        tap, typed = (META.parse(channel, item.request.body, "").messages[0]
                      for item in sandbox.inbox.received(channel_id=71))
        assert tap.kind == "button_reply" and tap.payload["id"] == "confirm"
        assert typed.text == "にほんご"
        assert problems == []  # a CSP violation or a script error would show here


async def test_twilio_whatsapp_buttons_show_natively_and_a_tap_comes_back() -> None:
    """Sent through Twilio's Content API, the reply buttons are buttons on the phone, not "1. 確認"."""
    playwright_api = pytest.importorskip("playwright.async_api")
    with serve_sandbox(SandboxState(receipts="off")) as sandbox:
        channel = ChannelConfig(allow_private_urls=True, id=72, kind="whatsapp_twilio",
                                config={"from_number": "whatsapp:+14155238886"}, public_url=sandbox.url)
        sandbox.state.add_channel(channel)
        sent = await TWILIO_WA.send(channel, OutboundMessage(to=CUSTOMER, kind="buttons", text="確認訂單？",
                                                             buttons=(Button("確認", id="confirm"),
                                                                      Button("取消", id="cancel"))))
        assert sent.ok, sent
        async with playwright_api.async_playwright() as playwright:
            browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            try:
                page = await browser.new_page(viewport={"width": 390, "height": 780})
                problems: list[str] = []
                page.on("pageerror", lambda error: problems.append(str(error)))
                await page.goto(f"{sandbox.url}/sandbox/phone/72")
                await page.wait_for_selector(".bubble.shop")
                assert await page.locator(".bubble.shop .text").inner_text() == "確認訂單？"
                assert await page.locator(".bubble.shop button.button").all_inner_texts() == ["確認", "取消"]
                await page.click('button.button:text-is("取消")')
                await sandbox.inbox.wait_for(1, channel_id=72)
            finally:
                await browser.close()

        [webhook] = sandbox.inbox.received(channel_id=72)
        TWILIO_WA.verify(channel, webhook.request, "inbound")
        [tap] = TWILIO_WA.parse(channel, webhook.request.body, "inbound").messages
        assert tap.kind == "button_reply" and tap.payload["id"] == "cancel" and tap.text == "取消"
        assert tap.reply_to_provider_id == sent.provider_message_id
        assert problems == []
