"""The report pages in a real browser: the owner opens the overview and the lifecycle matrix, clicks a cell, sees
some of its customers (names with markup shown as text) and saves the cell as a segment; the pages read in
Japanese for a Japanese-speaking owner; agents are kept out of the marketing reports."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import update
from sqlmodel import col, select

from catalog.models import Order
from channels import IdentityRef, InboundMessage
from flows.journeys import service as journeys
from flows.journeys.models import Flow
from flows.segments.models import Segment
from hub.agents.models import User
from hub.contacts.models import Contact
from hub.ingest.service import receive
from hub.runtime.db import session_scope, utcnow
from reports.backfill import backfill
from tests.factories import PASSWORD, make_channel, make_user

pytestmark = pytest.mark.browser
MARKUP = "<img src=x onerror=alert(1)>"
# (name, days since each paid order): new active ×3, loyal sleeping ×2, repeat lost ×1
CUSTOMERS = [(MARKUP, [3]), ("陳大文", [10]), ("佐藤由紀", [20]),
             ("Emily Clark", [40, 45, 50, 60]), ("李小明", [50, 55, 70, 80, 85]), ("山田太郎", [100, 130])]


def history() -> None:
    """Paid orders for the lifecycle matrix, and three customers writing in today for the service report."""
    channel = make_channel("telegram", "Shop bot")
    for n, name in enumerate(("陳大文", "佐藤由紀", MARKUP)):
        with session_scope() as session:
            receive(session=session, channel_id=channel.id or 0, inbound=InboundMessage(
                provider_message_id=f"m{n}", identities=(IdentityRef("telegram", str(700 + n)),), kind="text",
                text="有冇貨？", sent_at=utcnow(), profile_name=name))
    now = utcnow()
    with session_scope() as session:
        for i, (name, days) in enumerate(CUSTOMERS):
            contact = Contact(name=name)
            session.add(contact)
            session.flush()
            for n, ago in enumerate(days):
                paid_at = now - timedelta(days=ago)
                currency, total = ("JPY", 4800) if name == "佐藤由紀" else ("HKD", 29600)
                session.add(Order(number=f"R{i}-{n}", contact_id=contact.id or 0, currency=currency, total_minor=total,
                                  status="paid", paid_at=paid_at, created_at=paid_at))
    backfill(say=lambda _: None)  # the orders written here as reports' facts, as `hub reports backfill` does


def sign_in(page, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/$"))


@pytest.mark.both_backends
def test_the_owner_reads_the_overview_and_saves_a_lifecycle_cell_as_a_segment(new_page, page_errors):
    history()
    make_user("owner@shop.test", role="admin")
    page = new_page(width=1280, height=900)
    sign_in(page, "owner@shop.test")
    page.get_by_role("link", name="Reports").click()
    expect(page).to_have_url(re.compile(r"/reports(\?.*)?$"))
    expect(page.get_by_role("heading", name="Reports: Overview")).to_be_visible()
    service = page.locator(".overview-card[data-report=service]")
    expect(service.locator(".kpi[data-metric=conversations] .kpi-name")).to_have_text("Conversations")
    expect(service.locator(".kpi[data-metric=conversations] .kpi-value")).to_have_text("3")
    expect(service.locator("svg.chart")).to_be_visible()  # each chart with its table
    expect(service.locator("table")).to_have_count(1)
    expect(page.locator(".overview-lifecycle .lc-button[data-cell='new active'] .lc-count")).to_have_text("3")
    page.screenshot(path="/tmp/reports-overview.png", full_page=True)

    page.get_by_role("link", name="Lifecycle").first.click()
    expect(page).to_have_url(re.compile(r"/reports/lifecycle"))
    matrix = page.locator("#lifecycle-matrix")
    expect(matrix.locator("[data-cell='new active'] .lc-count")).to_have_text("3")
    expect(matrix.locator("[data-cell='loyal sleeping'] .lc-count")).to_have_text("2")
    expect(matrix.locator("[data-cell='repeat lost'] .lc-count")).to_have_text("1")
    expect(matrix.locator("[data-cell='new active'] .lc-share")).to_have_text("50%")
    expect(page.locator(".lc-summary")).to_contain_text("Active customers: 50% (target 30%)")

    matrix.locator("[data-cell='new active']").click()
    panel = page.locator(".lc-panel")
    expect(panel.get_by_role("heading", name="1 purchase × Recently active")).to_be_visible()
    expect(panel.locator(".lc-members")).to_contain_text(MARKUP)  # shown as text, not run
    expect(panel.locator(".lc-members img")).to_have_count(0)
    panel.get_by_label("Segment name").fill("New and active · 新客")
    panel.get_by_role("button", name="Save as segment").click()
    expect(panel.locator(".lc-done")).to_have_text("Saved as the segment “New and active · 新客”.")
    expect(panel.get_by_role("link", name="Send a campaign")).to_be_visible()
    expect(panel.get_by_role("link", name="Start a journey")).to_be_visible()
    with session_scope() as session:
        [segment] = session.exec(select(Segment)).all()
        assert segment.name == "New and active · 新客"
        assert "new active" in str(segment.definition)
    page.screenshot(path="/tmp/reports-lifecycle.png", full_page=True)
    journey = panel.get_by_role("link", name="Start a journey").get_attribute("href")
    page.get_by_role("link", name="Send a campaign").click()  # a new campaign to that segment, ready to write
    expect(page.locator("#campaign-editor")).to_be_visible()
    expect(page.locator("#campaign-segment")).to_have_value(str(segment.id))
    page.goto(page.url.split("/campaigns")[0] + str(journey))  # a new flow that starts when customers enter it
    page.locator("#new-flow-name").fill("Welcome the new and active")
    page.get_by_role("button", name="Create the flow").click()
    expect(page).to_have_url(re.compile(r"/flows/\d+$"))
    with session_scope() as session:
        [flow] = session.exec(select(Flow)).all()
        trigger = journeys.version_of(session=session, flow_id=flow.id or 0, version=flow.draft_version).definition[
            "trigger"]
    assert trigger == {"type": "segment_entered", "config": {"segment_id": segment.id}}
    page.go_back()
    page.go_back()
    page.go_back()

    page.get_by_role("link", name="Sales").first.click()  # each currency on its own, never summed
    expect(page.get_by_role("heading", name="Sales · HKD")).to_be_visible()
    expect(page.get_by_role("heading", name="Sales · JPY")).to_be_visible()
    revenue = page.locator(".kpi[data-metric=revenue] .kpi-value")
    expect(revenue.first).to_have_text("HK$592.00")  # the two HKD orders of the last 30 days
    expect(revenue.last).to_have_text("¥4,800")
    page.screenshot(path="/tmp/reports-sales.png", full_page=True)
    assert [error for error in page_errors if not error.startswith("console: Failed to load resource")] == []


def test_a_japanese_owner_reads_the_reports_in_japanese(new_page, page_errors):
    history()
    make_user("owner-ja@shop.test", role="admin")
    with session_scope() as session:
        session.execute(update(User).where(col(User.email) == "owner-ja@shop.test").values(locale="ja"))
    page = new_page(width=1280, height=900, locale="ja-JP")
    sign_in(page, "owner-ja@shop.test")
    page.goto("/reports/lifecycle")
    expect(page.get_by_role("heading", name="レポート: ライフサイクル")).to_be_visible()
    expect(page.locator(".reports-nav")).to_contain_text("概要")
    matrix = page.locator("#lifecycle-matrix")
    expect(matrix.locator("thead")).to_contain_text("アクティブ")
    expect(matrix.locator("tbody")).to_contain_text("ロイヤル")
    expect(page.locator(".lc-summary")).to_contain_text("アクティブ顧客：50%（目標 30%）")
    matrix.locator("[data-cell='loyal sleeping']").click()
    expect(page.get_by_role("button", name="セグメントとして保存")).to_be_visible()
    page.screenshot(path="/tmp/reports-lifecycle-ja.png", full_page=True)
    page.goto("/reports/service")
    expect(page.locator(".kpi[data-metric=conversations] .kpi-name")).to_have_text("会話")
    expect(page.locator(".kpi[data-metric=bot_containment] .kpi-name")).to_have_text("ボット完結率")
    expect(page.get_by_role("link", name=re.compile("CSV"))).not_to_have_count(0)
    page.screenshot(path="/tmp/reports-service-ja.png", full_page=True)


def test_an_agent_reads_the_service_report_but_not_the_lifecycle_matrix(new_page):
    make_user("mei@shop.test")
    page = new_page()
    sign_in(page, "mei@shop.test")
    page.goto("/reports")
    nav = page.locator(".reports-nav")
    expect(nav).to_contain_text("Service")
    expect(nav).not_to_contain_text("Lifecycle")
    response = page.goto("/reports/lifecycle")
    assert response is not None and response.status == 403
