"""The campaigns page in a real browser: a marketer builds a segment and sees its live count, makes a campaign with
a quick reply and a coupon, sees the WhatsApp and SMS previews, launches it and watches the report count what the
worker sent; agents are refused, and names with markup are shown as text."""

from __future__ import annotations

import os
import re
from datetime import timedelta
from pathlib import Path

import pytest
from playwright.sync_api import expect
from sqlmodel import col, select

from flows.campaigns import jobs as campaign_jobs
from flows.campaigns.models import Campaign, Recipient
from flows.segments.models import Segment
from hub.agents.models import User
from hub.contacts.models import ChannelIdentity, Consent, Contact
from hub.runtime.db import session_scope, utcnow
from hub.tags.models import ContactTag, Tag
from tests.conftest import wait_for
from tests.factories import PASSWORD, make_channel, make_team, make_user
from tests.web.conftest import JOB_WAIT

pytestmark = pytest.mark.browser
DOCS_SHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
MARKUP = "<img src=x onerror=alert(1)>"
VIPS = [("陳大文 Tai Man Chan", "+85291230001"), ("佐藤由紀 Yuki Sato", "+819012340002"),
        ("Emily Clark", "+14155550103")]
OTHERS = [("李小明", "+85291230004"), ("山田太郎", "+819012340005")]


def shop() -> dict[str, int]:
    """A WhatsApp and an SMS channel on the sandbox, a marketer, an agent, three VIP contacts and two others."""
    team = make_team("Hong Kong")
    whatsapp = make_channel("whatsapp_meta", "WhatsApp HK", team_ids=[team])
    sms = make_channel("sms_twilio", "SMS HK", team_ids=[team])
    make_user("mia@shop.test", role="marketer")
    make_user("sam@shop.test", team_ids=[team])
    with session_scope() as session:
        vip = Tag(name="VIP")
        session.add(vip)
        session.flush()
        for name, phone in VIPS + OTHERS:
            # a known zone: with no quiet hours they are sent at once (an unknown zone waits for daytime)
            contact = Contact(name=name, timezone="Asia/Hong_Kong")
            session.add(contact)
            session.flush()
            session.add(ChannelIdentity(contact_id=contact.id or 0, kind="whatsapp", value=phone, phone=phone))
            for channel in (whatsapp, sms):  # WhatsApp broadcasts need the customer's opt-in
                session.add(Consent(contact_id=contact.id or 0, channel_id=channel.id or 0, status="opted_in",
                                    source="test: signed up in the shop"))
            if (name, phone) in VIPS:
                session.add(ContactTag(contact_id=contact.id or 0, tag_id=vip.id or 0))
    assert whatsapp.id is not None and sms.id is not None
    return {"whatsapp": whatsapp.id, "sms": sms.id}


def sign_in(page, email: str, landing: str = r"/campaigns$") -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(landing))


def ready(page) -> None:  # type: ignore[no-untyped-def]
    expect(page.locator("body")).to_have_attribute("data-ready", "true")


def screenshot(page, name: str, card: str = "#campaigns") -> None:  # type: ignore[no-untyped-def]
    """A card in a viewport tall enough to hold it (sticky bars would repeat in a stitched shot)."""
    page.locator("#saved").evaluate("toast => { toast.textContent = ''; }")
    height = page.locator(card).evaluate("card => Math.ceil(card.getBoundingClientRect().height)")
    page.set_viewport_size({"width": 1280, "height": height + 200})
    page.locator(card).screenshot(path=str(DOCS_SHOTS / name))
    page.set_viewport_size({"width": 1280, "height": 900})


def build_vip_segment(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="New segment").click()
    page.locator("#segment-name").fill(name)
    page.locator("#add-segment-condition-type").select_option("tag")
    page.get_by_role("button", name="Add a condition").click()
    page.locator("#segment-conditions").get_by_label("Tag", exact=True).fill("VIP")
    count = page.locator("#segment-count")
    expect(count).to_have_attribute("data-count", str(len(VIPS)))
    expect(count).to_have_text(f"{len(VIPS)} customers match")
    expect(page.locator("#segment-members li")).to_have_count(len(VIPS))
    page.get_by_role("button", name="Save the segment").click()
    expect(page.locator("#segment-list li.segment-row")).to_have_count(1)


@pytest.mark.both_backends
def test_a_marketer_segments_previews_launches_and_watches_the_report(new_page, hub_server, page_errors):
    shop()
    page = new_page(width=1280, height=900)
    sign_in(page, "mia@shop.test")  # a marketer without transcript rights lands on the campaigns page
    ready(page)
    expect(page.locator("#segment-list")).to_contain_text("No segments yet.")

    build_vip_segment(page, "VIP customers")
    page.locator("#add-segment-condition-type").select_option("lifecycle")  # the 9 lifecycle cells are offered
    page.get_by_role("button", name="Add a condition").click()
    expect(page.locator(".lifecycle-checks input[type=checkbox]")).to_have_count(9)
    page.locator(".lifecycle-checks").get_by_label("Loyal, sleeping").check()
    expect(page.locator("#segment-count")).to_have_attribute("data-count", "0")  # nobody has paid orders
    page.locator("#segment-conditions li.condition").last.get_by_role("button", name="Remove").click()
    expect(page.locator("#segment-count")).to_have_attribute("data-count", str(len(VIPS)))
    if os.environ.get("HUB_SCREENSHOTS"):
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        screenshot(page, "campaign-segment.png", "#segments")
    page.get_by_role("button", name="Close").first.click()

    page.get_by_role("button", name="New campaign").click()
    page.locator("#campaign-name").fill("Spring sale")
    page.locator("#campaign-segment").select_option(label="VIP customers")
    page.locator("#campaign-variants textarea").fill(
        "Hi {{ contact.first_name }}! Your code {{ coupon }} takes 10% off.")
    page.get_by_role("button", name="Add a button").click()
    page.locator("#campaign-buttons").get_by_label("Button text").fill("Show me")
    page.locator("#campaign-coupon").fill("VIP-")
    page.locator("#template-name").fill("spring_sale")
    page.locator("#template-language").fill("en")
    page.locator("#template-params").fill("{{ contact.first_name }}\n{{ coupon }}")
    page.locator("#quiet-start").fill("")
    page.locator("#quiet-end").fill("")
    page.get_by_role("button", name="Save the draft and preview").click()

    whatsapp = page.locator("#campaign-preview .phone-whatsapp").first
    expect(whatsapp).to_contain_text("Your code SAMPLE123 takes 10% off.")
    expect(whatsapp.locator(".bubble-button")).to_have_text("Show me")
    expect(whatsapp).to_contain_text("In this campaign")
    sms = page.locator("#campaign-preview .phone-sms")
    expect(sms.locator(".bubble-text")).to_contain_text("SAMPLE123")
    expect(sms.locator(".bubble-text")).to_contain_text("1. Show me")
    expect(page.locator("#campaign-preview .phone-telegram")).to_be_visible()
    expect(page.locator("#campaign-preview .phone-webchat")).to_be_visible()
    expect(page.locator("#campaign-list li.campaign-row")).to_have_count(1)
    expect(page.locator("#campaign-list")).to_contain_text("Draft")
    if os.environ.get("HUB_SCREENSHOTS"):
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        screenshot(page, "campaign-editor.png")

    page.get_by_role("button", name="Launch").click()
    confirm = page.get_by_role("dialog")
    expect(confirm).to_contain_text(f"Send to {len(VIPS)} people on these channels?")
    confirm.get_by_role("button", name="Send").click()
    report = page.locator("#campaign-report")
    expect(report).to_be_visible()
    expect(page.locator("#report-title")).to_have_text("Spring sale")
    expect(report.locator(".number-recipients")).to_have_attribute("data-value", str(len(VIPS)))
    expect(page.locator("#report-csv")).to_have_attribute("href", re.compile(r"/api/v1/campaigns/\d+/recipients\.csv$"))

    with session_scope() as session:
        campaign_id = session.exec(select(Campaign.id).where(col(Campaign.name) == "Spring sale")).one()
        assert session.get(Campaign, campaign_id).quiet_start is None  # type: ignore[union-attr]
    campaign_jobs.kick(campaign_id)  # what the worker's sweeper does every few seconds
    sent = report.locator(".number-sent")
    expect(sent).to_have_attribute("data-value", re.compile(r"^[1-9]\d*$"), timeout=JOB_WAIT * 1000)
    expect(report.locator(".funnel-row")).to_have_count(6)
    width = report.locator(".funnel-row[data-step=sent] .funnel-bar")
    wait_for(lambda: width.evaluate("bar => bar.getBoundingClientRect().width") > 0, timeout=10)
    if os.environ.get("HUB_SCREENSHOTS"):
        screenshot(page, "campaign-report.png")
    assert page_errors == []


def test_a_running_campaign_can_be_paused_and_resumed(new_page, hub_server, page_errors):
    channels = shop()
    with session_scope() as session:
        segment = Segment(name="VIP", definition={"all": [{"tag": "VIP"}]})
        session.add(segment)
        session.flush()
        campaign = Campaign(name="Flash sale", status="running", segment_id=segment.id, launched_at=utcnow(),
                            channel_ids=[channels["whatsapp"]], variants=[{"name": "A", "weight": 100, "text": "Hi"}])
        session.add(campaign)
        session.flush()
        contact_id = session.exec(select(Contact.id)).first()
        session.add(Recipient(campaign_id=campaign.id or 0, contact_id=contact_id or 0, channel_id=channels["whatsapp"],
                              due_at=utcnow() + timedelta(days=1)))  # not due yet: the campaign keeps running
    page = new_page()
    sign_in(page, "mia@shop.test")
    ready(page)
    page.get_by_role("button", name="Report of Flash sale").click()
    expect(page.locator("#report-status")).to_have_text("Sending")
    page.get_by_role("button", name="Pause").click()
    expect(page.locator("#report-status")).to_have_text("Paused")
    expect(page.get_by_role("button", name="Pause")).to_be_hidden()
    page.get_by_role("button", name="Resume").click()
    expect(page.locator("#report-status")).to_have_text("Sending")
    assert page_errors == []



def test_recipients_that_may_not_have_been_sent_are_shown_and_can_be_sent_again(new_page, hub_server, page_errors):
    channels = shop()
    with session_scope() as session:
        campaign = Campaign(name="Flash sale", status="done", launched_at=utcnow(), finished_at=utcnow(),
                            channel_ids=[channels["whatsapp"]], variants=[{"name": "A", "weight": 100, "text": "Hi"}])
        session.add(campaign)
        session.flush()
        first, second = session.exec(select(Contact.id)).all()[:2]
        session.add(Recipient(campaign_id=campaign.id or 0, contact_id=first or 0,  # the provider never answered
                              channel_id=channels["whatsapp"], state="unknown", reason="timeout"))
        session.add(Recipient(campaign_id=campaign.id or 0, contact_id=second or 0,  # as before `unknown` existed
                              channel_id=channels["whatsapp"], state="failed", reason="interrupted",
                              failed_at=utcnow()))
        campaign_id = campaign.id
    page = new_page()
    sign_in(page, "mia@shop.test")
    ready(page)
    page.get_by_role("button", name="Report of Flash sale").click()
    notice = page.locator("#report-interrupted")
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("2 recipients may not have been sent their message")
    page.get_by_role("button", name="Send to them again").click()
    expect(page.locator("#saved")).to_contain_text("Sending again to 2 recipients.")
    expect(notice).to_be_hidden()
    # Sent again: the report runs once more, and no recipient is left "interrupted" (the worker may already have
    # sent them, or be waiting for the end of the quiet hours, depending on the hour in Hong Kong).
    expect(page.locator("#report-status")).to_have_text(re.compile("Sending|Done"))
    with session_scope() as session:
        outcomes = set(session.exec(select(Recipient.state, Recipient.reason)
                                    .where(col(Recipient.campaign_id) == campaign_id)).all())
    assert outcomes and all(reason != "interrupted" and state != "unknown" for state, reason in outcomes)
    assert page_errors == []


def test_agents_are_refused_and_marketers_land_on_campaigns(new_page, hub_server, page_errors):
    shop()
    with session_scope() as session:
        sam = session.exec(select(User).where(col(User.email) == "sam@shop.test")).one()
        sam.locale = "ja"
        session.add(sam)
    page = new_page()
    sign_in(page, "sam@shop.test", landing=r"/$")
    expect(page.locator("#live-status")).to_have_attribute("data-state", "live")
    expect(page.locator("a[href='/campaigns']")).to_have_count(0)
    answer = page.goto("/campaigns")
    assert answer is not None and answer.status == 403
    expect(page.locator("body")).to_contain_text("セグメントとキャンペーンを扱えるのはマーケターと管理者だけです。")

    make_user("boss@shop.test", role="admin")
    admin = new_page()
    sign_in(admin, "boss@shop.test", landing=r"/$")
    admin.get_by_role("link", name="Campaigns").click()
    expect(admin).to_have_url(re.compile(r"/campaigns$"))
    ready(admin)
    expect(admin.get_by_role("link", name="Back to the inbox")).to_be_visible()
    html = admin.request.get("/campaigns").text()
    assert "style=" not in html and "<script>" not in html  # the CSP allows neither

    signed_out = new_page()
    signed_out.goto("/campaigns")
    expect(signed_out).to_have_url(re.compile(r"/login\?next=/campaigns$"))


def test_names_with_markup_are_shown_as_text(new_page, hub_server, page_errors):
    shop()
    page = new_page()
    sign_in(page, "mia@shop.test")
    ready(page)
    build_vip_segment(page, MARKUP)
    expect(page.locator("#segment-list .segment-name")).to_have_text(MARKUP)
    page.get_by_role("button", name="New campaign").click()
    page.locator("#campaign-name").fill(MARKUP)
    page.locator("#campaign-segment").select_option(label=MARKUP)
    page.locator("#campaign-variants textarea").fill(MARKUP)
    page.get_by_role("button", name="Save the draft and preview").click()
    expect(page.locator("#campaign-list .campaign-name")).to_have_text(MARKUP)
    expect(page.locator("#campaign-preview .phone-webchat .bubble-text")).to_have_text(MARKUP)
    expect(page.locator("img[src=x]")).to_have_count(0)
    with session_scope() as session:
        assert session.exec(select(Segment.name)).one() == MARKUP
    assert page_errors == []


def test_a_segment_with_a_nested_group_counts_saves_and_opens_again(new_page, hub_server, page_errors):
    shop()
    with session_scope() as session:  # one of the three VIPs lives in Tokyo
        yuki = session.exec(select(Contact).where(col(Contact.name) == VIPS[1][0])).one()
        yuki.custom_fields = {"city": "東京"}
        session.add(yuki)
    page = new_page(width=1280, height=900)
    sign_in(page, "mia@shop.test")
    ready(page)
    build_vip_segment(page, "VIPs outside Tokyo")
    page.locator("#add-segment-condition-type").select_option("group")
    page.locator("#segment-form > fieldset > .row").get_by_role("button", name="Add a condition").click()
    group = page.locator("#segment-conditions > li.condition[data-kind=group]")
    group.get_by_label("Customers who meet").select_option("none")
    group.get_by_label("Kind of condition").select_option("field")
    group.get_by_role("button", name="Add a condition").click()
    group.get_by_label("Field name").fill("city")
    group.get_by_label("Value").fill("東京")
    count = page.locator("#segment-count")
    expect(count).to_have_attribute("data-count", "2")  # VIPs, and none of: city is 東京
    expect(page.locator("#segment-members")).not_to_contain_text("佐藤由紀")
    group.get_by_label("Customers who meet").select_option("any")
    expect(count).to_have_attribute("data-count", "1")  # VIPs, and any of: city is 東京
    group.get_by_label("Customers who meet").select_option("none")
    expect(count).to_have_attribute("data-count", "2")
    if os.environ.get("HUB_SCREENSHOTS"):
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        screenshot(page, "campaign-segment-group.png", "#segments")
    page.get_by_role("button", name="Save the segment").click()

    def saved() -> object:
        with session_scope() as session:
            return session.exec(select(Segment.definition).where(col(Segment.name) == "VIPs outside Tokyo")).one()

    wait_for(lambda: saved() == {"all": [{"tag": "VIP"}, {"not": {"any": [
        {"field": "city", "op": "eq", "value": "東京"}]}}]}, timeout=10)

    page.get_by_role("button", name="Close").first.click()
    page.get_by_role("button", name="Edit VIPs outside Tokyo").click()  # the group opens as it was saved
    group = page.locator("#segment-conditions > li.condition[data-kind=group]")
    expect(group.get_by_label("Customers who meet")).to_have_value("none")
    expect(group.get_by_label("Field name")).to_have_value("city")
    expect(group.get_by_label("Value")).to_have_value("東京")
    expect(page.locator("#segment-raw")).to_be_hidden()
    expect(count).to_have_attribute("data-count", "2")
    assert page_errors == []


def test_launch_asks_first_with_the_count_the_channels_and_who_is_left_out(new_page, hub_server, page_errors):
    """Item 14: "Send to N people on these channels?" before anything is sent; Not yet sends nothing. The editor
    counts SMS segments (Japanese is UCS-2: 70 characters, then 67 a part) and a new variant splits the weights."""
    shop()
    with session_scope() as session:  # a VIP who only ever texted: not on WhatsApp
        contact = Contact(name="Kim SMS only", timezone="Asia/Hong_Kong")
        session.add(contact)
        session.flush()
        session.add(ChannelIdentity(contact_id=contact.id or 0, kind="sms", value="+85291230009",
                                    phone="+85291230009"))
        vip = session.exec(select(Tag).where(Tag.name == "VIP")).one()
        session.add(ContactTag(contact_id=contact.id or 0, tag_id=vip.id or 0))
    page = new_page(width=1280, height=900)
    sign_in(page, "mia@shop.test")
    ready(page)
    build_vip_segment_of(page, "VIP customers", len(VIPS) + 1)
    page.get_by_role("button", name="Close").first.click()
    page.get_by_role("button", name="New campaign").click()
    page.locator("#campaign-name").fill("Spring sale")
    page.locator("#campaign-segment").select_option(label="VIP customers")
    text = page.locator("#campaign-variants textarea").first
    text.fill("春のセール：全品10%オフ。" * 6)  # 84 characters of Japanese
    counter = page.locator("#campaign-variants .sms-count").first
    expect(counter).to_have_text("84 characters (Unicode): 2 SMS")
    text.fill("Spring sale: 10% off everything")
    expect(counter).to_have_text("31 characters: 1 SMS")
    page.get_by_role("button", name="Add an A/B variant").click()
    weights = page.locator("#campaign-variants").get_by_label("Weight")
    expect(weights).to_have_count(2)
    expect(weights.nth(0)).to_have_value("50")
    expect(weights.nth(1)).to_have_value("50")
    page.locator("#campaign-variants textarea").nth(1).fill("Spring: 10% off")
    page.locator("#quiet-start").fill("")
    page.locator("#quiet-end").fill("")
    page.locator("#test-to").fill("+85298765432")  # the marketer's own phone has not written: no window
    page.get_by_role("button", name="Send a test").click()
    expect(page.locator("#campaign-error")).to_contain_text("24-hour window")
    page.locator("#template-name").fill("spring_sale")
    page.get_by_role("button", name="Send a test").click()
    expect(page.locator("#saved")).to_contain_text("Sent a test to +85298765432.")
    with session_scope() as session:
        from hub.conversations.models import Message

        test = session.exec(select(Message).where(Message.direction == "outbound")).one()
        assert test.kind == "template" and test.payload["campaign_test"] is True

    page.get_by_role("button", name="Launch").click()
    confirm = page.get_by_role("dialog")
    expect(confirm).to_be_visible()
    expect(confirm.get_by_role("heading")).to_have_text(f"Send to {len(VIPS)} people on these channels?")
    expect(confirm.locator("#launch-confirm-channels li")).to_have_text([f"WhatsApp HK (WhatsApp): {len(VIPS)}"])
    expect(confirm).to_contain_text("Not sent to 1 in the segment:")
    expect(confirm).to_contain_text("Skipped, not on this channel: 1")
    if os.environ.get("HUB_SCREENSHOTS"):
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(DOCS_SHOTS / "campaign-confirm.png"))
    confirm.get_by_role("button", name="Not yet").click()
    expect(confirm).to_be_hidden()
    with session_scope() as session:  # asking launched nothing
        campaign = session.exec(select(Campaign).where(col(Campaign.name) == "Spring sale")).one()
        assert campaign.status == "draft" and [v["weight"] for v in campaign.variants] == [50, 50]
        assert session.exec(select(Recipient)).all() == []
    page.get_by_role("button", name="Launch").click()
    confirm.get_by_role("button", name="Send").click()
    expect(page.locator("#campaign-report")).to_be_visible()
    with session_scope() as session:
        variants = [r.variant for r in session.exec(select(Recipient).where(Recipient.state != "skipped")).all()]
        assert sorted(variants) == ["A", "A", "B"] or sorted(variants) == ["A", "B", "B"]
    assert [e for e in page_errors if "status of 422" not in e] == []  # the refused test send, shown above


def build_vip_segment_of(page, name: str, count: int) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("button", name="New segment").click()
    page.locator("#segment-name").fill(name)
    page.locator("#add-segment-condition-type").select_option("tag")
    page.get_by_role("button", name="Add a condition").click()
    page.locator("#segment-conditions").get_by_label("Tag", exact=True).fill("VIP")
    expect(page.locator("#segment-count")).to_have_attribute("data-count", str(count))
    page.get_by_role("button", name="Save the segment").click()
    expect(page.locator("#segment-list li.segment-row")).to_have_count(1)


def test_the_report_shows_reasons_and_keeps_counting_after_the_campaign_is_done(new_page, hub_server, page_errors):
    """Item 12: failure and skip reasons on screen, and a reply arriving after the campaign finished shows up
    without reopening the report (it stays live for the attribution window)."""
    channels = shop()
    with session_scope() as session:
        campaign = Campaign(name="Flash sale", status="done", launched_at=utcnow(), finished_at=utcnow(),
                            attribution_hours=72, channel_ids=[channels["whatsapp"]],
                            variants=[{"name": "A", "weight": 100, "text": "Hi"}])
        session.add(campaign)
        session.flush()
        ids = session.exec(select(Contact.id).order_by(Contact.id)).all()
        outcomes = [("sent", None), ("sent", None), ("failed", "131026: message undeliverable"),
                    ("skipped", "opted out"), ("skipped", "opted out")]
        for contact_id, (state, reason) in zip(ids, outcomes, strict=False):
            session.add(Recipient(campaign_id=campaign.id or 0, contact_id=contact_id or 0,
                                  channel_id=channels["whatsapp"], state=state, reason=reason,
                                  sent_at=utcnow() if state == "sent" else None))
        campaign_id = campaign.id
    page = new_page()
    sign_in(page, "mia@shop.test")
    ready(page)
    page.get_by_role("button", name="Report of Flash sale").click()
    expect(page.locator("#report-status")).to_have_text("Done")
    reasons = page.locator("#report-reasons li")
    expect(reasons).to_have_text(["Skipped, opted out: 2", "Failed, 131026: message undeliverable: 1"])
    replied = page.locator("#campaign-report .number-replied")
    expect(replied).to_have_attribute("data-value", "0")
    with session_scope() as session:  # a customer answers after the campaign finished
        first = session.exec(select(Recipient).where(Recipient.campaign_id == campaign_id,
                                                     Recipient.state == "sent")).first()
        assert first is not None
        first.replied_at = utcnow()
        session.add(first)
    expect(replied).to_have_attribute("data-value", "1", timeout=JOB_WAIT * 1000)
    assert page_errors == []


def test_the_whatsapp_preview_shows_what_the_customer_gets_not_buttons_they_do_not(new_page, hub_server,
                                                                                     page_errors):
    """Item 13: a link and a quick reply cannot share a WhatsApp interactive message, so the customer gets a
    numbered text menu; the preview (drawn from the sender's own renderer) shows exactly that."""
    channels = shop()
    with session_scope() as session:
        session.add(Campaign(name="Mixed buttons", channel_ids=[channels["whatsapp"]], variants=[{
            "name": "A", "weight": 100, "text": "Spring sale!",
            "buttons": [{"title": "Shop now", "url": "https://shop.example/sale"}, {"title": "Not interested"}]}]))
    page = new_page(width=1280, height=900)
    sign_in(page, "mia@shop.test")
    ready(page)
    page.locator("#campaign-list li.campaign-row").get_by_role("button", name="Edit").click()
    whatsapp = page.locator("#campaign-preview .phone-whatsapp").first
    expect(whatsapp.locator(".bubble-text")).to_contain_text("1. Not interested")
    expect(whatsapp.locator(".bubble-text")).to_contain_text("Shop now: https://shop.example/sale")
    expect(whatsapp.locator(".bubble-button")).to_have_count(0)
    expect(page.locator("#campaign-preview .phone-telegram .bubble-button")).to_have_count(2)  # Telegram can
    assert page_errors == []
