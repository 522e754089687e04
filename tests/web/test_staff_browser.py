"""What an agent and a web chat visitor see on a shop's first day: the composer says before typing that a
customer replied STOP (in the agent's language), refusals are translated, a payment link goes from the composer
to the customer, and the web chat widget greets, names the agent and shows times."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from channels import IdentityRef, InboundMessage
from hub.agents.models import User
from hub.contacts.models import Contact
from hub.contacts.service import record_consent
from hub.conversations.models import Conversation, Message
from hub.ingest.service import receive
from hub.runtime.db import session_scope, utcnow
from tests.catalog.factories import make_product
from tests.conftest import wait_for
from tests.factories import make_channel, make_team, make_user
from tests.web.conftest import JOB_WAIT
from tests.web.test_inbox_browser import sign_in

pytestmark = pytest.mark.browser


def agent(email: str, team: int, locale: str = "en", name: str = "Yuki Sato") -> int:
    made = make_user(email, team_ids=[team])
    with session_scope() as session:
        row = session.get(User, made.id)
        assert row is not None
        row.locale, row.name = locale, name
        session.add(row)
    return made.id or 0


def sms_customer(channel_id: int, text: str = "Is the jacket back in stock?") -> int:
    """A customer who wrote to the SMS channel a minute ago: the conversation id."""
    with session_scope() as session:
        message = receive(session=session, channel_id=channel_id, inbound=InboundMessage(
            provider_message_id="sms-1", identities=(IdentityRef("phone", "+14155550199"),), kind="text", text=text,
            sent_at=utcnow() - timedelta(minutes=1), profile_name="Emily Clark"))
        assert message is not None
        return message.conversation_id


def not_favicon(errors: list[str]) -> list[str]:
    """The demo shop page has no icon: the browser's /favicon.ico 404 is not the widget's."""
    return [error for error in errors if "status of 404" not in error]


def opt_out(conversation_id: int, channel_id: int) -> None:
    with session_scope() as session:
        conversation = session.get(Conversation, conversation_id)
        assert conversation is not None
        record_consent(session=session, contact_id=conversation.contact_id, channel_id=channel_id,
                       status="opted_out", source="replied STOP")


def test_an_opted_out_customer_disables_the_composer_with_a_translated_reason(new_page, hub_server, page_errors):
    team = make_team("US")
    sms = make_channel("sms_twilio", "SMS US", team_ids=[team], config={"from_number": "+15550001111"}).id or 0
    agent("yuki@shop.test", team, locale="ja")
    agent("sam@shop.test", team, locale="en", name="Sam Taylor")
    conversation_id = sms_customer(sms)

    page = new_page()
    sign_in(page, "yuki@shop.test")
    page.locator("#conversation-list li.conv a").first.click()
    box = page.locator("#composer-text")
    expect(box).to_be_enabled()
    expect(page.locator("#window-notice")).to_be_hidden()
    box.fill("在庫は来週入ります。")
    opt_out(conversation_id, sms)  # the customer replies STOP while the agent types
    page.locator("#composer-send").click()
    error = page.locator("#composer-error")
    expect(error).to_have_text("お客様がこのチャネルで STOP と返信しました。START と返信されるまで何も送信できません。")
    expect(box).to_have_value("在庫は来週入ります。")  # nothing typed is lost

    page.reload()  # and before typing: the composer says so and does not take a reply
    expect(page.locator("#window-notice")).to_contain_text("お客様が SMS US で STOP と返信しました")
    expect(page.locator("#window-notice")).to_have_attribute("data-kind", "consent")
    expect(box).to_be_disabled()
    expect(page.locator("#composer-send")).to_be_disabled()
    expect(page.locator("#composer-paylink")).to_be_disabled()
    page.locator('input[name="mode"][value="note"]').check()  # a private note is still fine
    expect(box).to_be_enabled()
    expect(page.locator("#window-notice")).to_be_hidden()

    english = new_page()
    sign_in(english, "sam@shop.test")
    english.goto(f"/conversations/{conversation_id}")
    expect(english.locator("#window-notice")).to_have_text(
        "The customer replied STOP on SMS US: nothing can be sent until they reply START. "
        "You can still leave a private note.")
    expect(english.locator("#composer-text")).to_be_disabled()
    with session_scope() as session:
        sent = session.exec(select(Message).where(Message.direction == "outbound")).all()
    assert sent == []
    assert page_errors == ["console: Failed to load resource: the server responded with a status of 422 "
                           "(Unprocessable Entity)"]  # the refused send, and nothing else


def test_the_payment_link_button_sends_the_customer_a_checkout_link(new_page, hub_server, page_errors):
    variants = make_product("linen-jacket", {"en": "Linen jacket", "ja": "リネンジャケット"},
                            variants={"JKT-M": {"HKD": 69900, "JPY": 16800, "USD": 8900}}, stock=4)
    team = make_team("US")
    sms = make_channel("sms_twilio", "SMS US", team_ids=[team], config={"from_number": "+15550001111"}).id or 0
    agent("yuki@shop.test", team, locale="ja")
    conversation_id = sms_customer(sms)

    page = new_page()
    sign_in(page, "yuki@shop.test")
    page.goto(f"/conversations/{conversation_id}")
    expect(page.locator("#thread .msg-in")).to_have_count(1)
    page.get_by_role("button", name="支払いリンク", exact=True).click()
    picker = page.locator("#product-picker")
    expect(picker).to_be_visible()
    expect(page.locator("#picker-title")).to_have_text("支払いリンクを送信")
    expect(page.locator("#picker-cart")).to_have_text("未決済のカートはありません。支払う商品を選んでください。")
    send = page.get_by_role("button", name="支払いリンクを送る")
    expect(send).to_be_disabled()  # nothing to pay for yet
    page.locator("#picker-search").fill("JKT")
    page.locator(f"#pick-{variants['JKT-M']}").check()
    send.click()
    expect(picker).to_be_hidden()

    def delivered() -> Message | None:  # the worker sent it to the customer's phone (the sandbox provider)
        with session_scope() as session:
            row = session.exec(select(Message).where(Message.conversation_id == conversation_id,
                                                     Message.direction == "outbound")).first()
            return row if row is not None and row.status in ("sent", "delivered", "read") else None

    sent = wait_for(delivered, timeout=JOB_WAIT)
    links = [button.get("url") for button in sent.payload.get("buttons", [])]
    assert any(re.match(r"https?://\S+/checkout/", link or "") for link in links), links  # the checkout link
    assert "$89.00" in (sent.text or "") and "HK$" not in (sent.text or "")  # the US channel's currency
    expect(page.locator("#thread .msg-out")).to_contain_text("$89.00")
    # sent, or already delivered: the sandbox phone's receipt may come first on a busy machine
    expect(page.locator("#thread .msg-out .tick")).to_have_attribute("aria-label", re.compile("^(送信済み|配信済み)$"))

    page.get_by_role("button", name="支払いリンク", exact=True).click()  # the cart was checked out: nothing left to pay
    expect(page.locator("#picker-cart")).to_have_text("未決済のカートはありません。支払う商品を選んでください。")
    assert page_errors == []


def test_the_widget_greets_in_the_visitors_language_and_names_the_agent_with_times(new_page, hub_server,
                                                                                   page_errors):
    closed_day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(utcnow().weekday() + 3) % 7]
    team = make_team("Japan")
    channel = make_channel("webchat", "Shop widget", team_ids=[team], config={
        "greeting": {"en": "Hi! How can we help?", "ja": "こんにちは！ご用件をどうぞ。", "zh_Hant": "你好！"},
        "away_message": {"en": "We are closed now.", "ja": "ただいま営業時間外です。"},
        "timezone": "Asia/Tokyo", "business_hours": {closed_day: [["09:00", "10:00"]]}}).id or 0
    agent("yuki@shop.test", team, name="Yuki Sato")

    visitor = new_page(locale="ja-JP")
    visitor.goto(f"/webchat/{channel}/demo")
    visitor.get_by_role("button", name="チャットを開く").click()
    greeting = visitor.locator('[data-hub="greeting"]')
    expect(greeting).to_have_text("こんにちは！ご用件をどうぞ。")  # in the visitor's language
    expect(visitor.locator('[data-hub="away"]')).to_have_text("ただいま営業時間外です。")  # outside the hours
    visitor.get_by_label("メッセージを入力…").fill("Mサイズはありますか")
    visitor.keyboard.press("Enter")
    mine = visitor.locator('[data-hub="visitor"]')
    expect(mine).to_contain_text("Mサイズはありますか")
    expect(mine.locator("time")).to_have_text(re.compile(r"\d{1,2}:\d{2}"))
    expect(mine).to_contain_text("✓")

    staff = new_page()
    sign_in(staff, "yuki@shop.test")
    row = staff.locator("#conversation-list li.conv")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(re.compile(r"visitor-[0-9a-f]{6}"))  # a handle, never the session token
    expect(row).not_to_contain_text(f"{channel}:s:")
    row.locator("a").click()
    expect(staff.locator("#thread-title")).to_have_text(re.compile(r"^visitor-[0-9a-f]{6}$"))
    expect(staff.locator("#contact")).not_to_contain_text(f"{channel}:s:")
    staff.get_by_role("combobox", name="Message").fill("はい、ございます。")
    staff.get_by_role("button", name="Send", exact=True).click()

    reply = visitor.locator('[data-hub="shop"]').filter(has_text="はい、ございます。")
    expect(reply).to_have_count(1)
    expect(reply.locator('[data-hub="author"]')).to_have_text("Yuki Sato")
    expect(reply.locator("time")).to_have_text(re.compile(r"\d{1,2}:\d{2}"))
    visitor.reload()  # the catch-up shows the same
    visitor.get_by_role("button", name="チャットを開く").click()
    expect(visitor.locator('[data-hub="greeting"]')).to_have_count(1)
    expect(reply.locator('[data-hub="author"]')).to_have_text("Yuki Sato")
    assert not_favicon(page_errors) == []


def test_widget_away_message_defaults_to_the_visitors_language_and_greeting_without_hours(new_page, hub_server,
                                                                                          page_errors):
    closed_day = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")[(utcnow().weekday() + 3) % 7]
    open_all = make_channel("webchat", "Open widget", config={"greeting": "Welcome!"}).id or 0
    closed = make_channel("webchat", "Closed widget", config={
        "timezone": "Asia/Hong_Kong", "business_hours": {closed_day: [["09:00", "10:00"]]}}).id or 0
    visitor = new_page(locale="zh-TW")
    visitor.goto(f"/webchat/{open_all}/demo")
    visitor.get_by_role("button", name="開啟對話").click()
    expect(visitor.locator('[data-hub="greeting"]')).to_have_text("Welcome!")  # one text for every language
    expect(visitor.locator('[data-hub="away"]')).to_have_count(0)  # no hours: never away
    visitor.goto(f"/webchat/{closed}/demo")
    visitor.get_by_role("button", name="開啟對話").click()
    expect(visitor.locator('[data-hub="away"]')).to_have_text("我們暫時不在。請留言，我們回來後會回覆你。")
    expect(visitor.locator('[data-hub="greeting"]')).to_have_count(0)
    assert not_favicon(page_errors) == []


def test_the_visitor_sees_the_agent_typing_until_the_reply_arrives(new_page, hub_server, page_errors):
    team = make_team("Japan")
    channel = make_channel("webchat", "Shop widget", team_ids=[team]).id or 0
    agent("yuki@shop.test", team, name="Yuki Sato")
    visitor = new_page(locale="ja-JP")
    visitor.goto(f"/webchat/{channel}/demo")
    visitor.get_by_role("button", name="チャットを開く").click()
    visitor.get_by_label("メッセージを入力…").fill("返品できますか")
    visitor.keyboard.press("Enter")
    expect(visitor.locator('[data-hub="visitor"]')).to_contain_text("✓")

    staff = new_page()
    sign_in(staff, "yuki@shop.test")
    staff.locator("#conversation-list li.conv a").first.click()
    expect(staff.locator("#thread .msg-in")).to_have_count(1)
    typing = visitor.locator('[data-hub="typing"]')
    expect(typing).to_be_hidden()
    staff.get_by_role("combobox", name="Message").press_sequentially("はい、")
    expect(typing).to_have_text("Yuki Satoが入力中…")  # nothing was sent yet
    staff.get_by_role("combobox", name="Message").press_sequentially("30日以内なら可能です。")
    staff.get_by_role("button", name="Send", exact=True).click()
    expect(visitor.locator('[data-hub="shop"]').filter(has_text="30日以内なら可能です。")).to_have_count(1)
    expect(typing).to_be_hidden()  # the reply replaced the indicator
    assert not_favicon(page_errors) == []


def test_a_live_update_keeps_what_the_agent_is_typing_in_the_contact_preferences(new_page, hub_server, page_errors):
    team = make_team("US")
    sms = make_channel("sms_twilio", "SMS US", team_ids=[team], config={"from_number": "+15550001111"}).id or 0
    agent("yuki@shop.test", team)
    conversation_id = sms_customer(sms)

    page = new_page()
    sign_in(page, "yuki@shop.test")
    page.goto(f"/conversations/{conversation_id}")
    expect(page.locator("#thread .msg-in")).to_have_count(1)
    prefs = page.locator("#contact-prefs")
    prefs.locator("#contact-timezone").fill("America/Chicago")
    with session_scope() as session:  # the customer writes again while the agent types: the panel is redrawn
        receive(session=session, channel_id=sms, inbound=InboundMessage(
            provider_message_id="sms-2", identities=(IdentityRef("phone", "+14155550199"),), kind="text",
            text="Also in blue?", sent_at=utcnow()))
    expect(page.locator("#thread .msg-in")).to_have_count(2)
    expect(prefs.locator("#contact-timezone")).to_have_value("America/Chicago")  # not wiped by the redraw
    prefs.get_by_role("button", name="Save").click()
    expect(prefs.locator("#contact-prefs-status")).to_have_text("Saved.")
    with session_scope() as session:
        assert [contact.timezone for contact in session.exec(select(Contact)).all()] == ["America/Chicago"]
        receive(session=session, channel_id=sms, inbound=InboundMessage(  # another redraw, after the save
            provider_message_id="sms-3", identities=(IdentityRef("phone", "+14155550199"),), kind="text",
            text="And in red?", sent_at=utcnow()))
    expect(page.locator("#thread .msg-in")).to_have_count(3)
    expect(prefs.locator("#contact-timezone")).to_have_value("America/Chicago")  # now the saved value
    expect(prefs.locator("#contact-prefs-status")).to_have_text("Saved.")  # the redraw keeps what the save said
    assert page_errors == []
