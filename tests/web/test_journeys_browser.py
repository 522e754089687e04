"""The journeys editor in a real browser, on the real flows API: a marketer makes a flow from a ready-made
template, adds a wait step and connects it with the keyboard only, sees the unreachable step flagged on the graph
and in the list of problems, fixes it, publishes, starts a test run and sees the counts on the graph and in the
list of flows; the editor speaks Traditional Chinese and Japanese; agents are refused; names with markup are
shown as text."""

from __future__ import annotations

import os
import re

import pytest
from playwright.sync_api import expect
from sqlmodel import col, select

from hub.agents.models import User
from hub.contacts.models import ChannelIdentity, Consent, Contact
from hub.runtime.db import session_scope
from tests.factories import make_channel, make_team, make_user
from tests.web.test_campaigns_browser import sign_in

pytestmark = pytest.mark.browser
MARKUP = "<img src=x onerror=alert(1)>"
SHOTS = os.environ.get("HUB_SCREENSHOTS")


def shop() -> int:
    """A WhatsApp channel on the sandbox, a marketer, an agent and one test contact; the contact's id."""
    team = make_team("Hong Kong")
    whatsapp = make_channel("whatsapp_meta", "WhatsApp HK", team_ids=[team])
    make_user("mia@shop.test", role="marketer")
    make_user("sam@shop.test", team_ids=[team])
    with session_scope() as session:
        contact = Contact(name="Test Tai Man", timezone="Asia/Hong_Kong", locale="en")
        session.add(contact)
        session.flush()
        session.add(ChannelIdentity(contact_id=contact.id or 0, kind="whatsapp", value="+85291239999",
                                    phone="+85291239999"))
        session.add(Consent(contact_id=contact.id or 0, channel_id=whatsapp.id or 0, status="opted_in",
                            source="test: signed up in the shop"))
        assert contact.id is not None
        return contact.id


def set_locale(email: str, locale: str) -> None:
    with session_scope() as session:
        user = session.exec(select(User).where(col(User.email) == email)).one()
        user.locale = locale
        session.add(user)


def ready(page) -> None:  # type: ignore[no-untyped-def]
    expect(page.locator("body")).to_have_attribute("data-ready", "true")


def node(page, node_id: str):  # type: ignore[no-untyped-def]
    return page.locator(f"#nodes .jr-node[data-id='{node_id}']")


def new_flow_from_template(page, name: str) -> None:  # type: ignore[no-untyped-def]
    page.get_by_role("link", name="Flows", exact=True).first.click()
    expect(page).to_have_url(re.compile(r"/flows$"))
    ready(page)
    templates = page.locator("#template-list input[name=flow-template]:not([value=''])")
    expect(templates.first).to_be_attached()
    templates.first.check()
    page.locator("#new-flow-name").fill(name)
    page.get_by_role("button", name="Create the flow").click()
    expect(page).to_have_url(re.compile(r"/flows/\d+$"))
    ready(page)


def test_a_marketer_builds_checks_fixes_publishes_and_sees_counts_with_the_keyboard(new_page, hub_server, page_errors):
    contact_id = shop()
    page = new_page(width=1440, height=900)
    sign_in(page, "mia@shop.test")
    new_flow_from_template(page, "Thank-you follow-up")
    expect(page.locator("#flow-name")).to_have_value("Thank-you follow-up")
    expect(page.locator("#flow-status")).to_have_text("Draft")
    start = page.locator("#nodes .jr-node").first
    expect(start).to_be_visible()
    template_nodes = page.locator("#nodes .jr-node").count()
    assert template_nodes >= 2
    start_id = page.locator("#nodes .jr-node", has=page.locator(".jr-trigger-pill")).get_attribute("data-id") or ""
    expect(page.locator(".jr-trigger-pill")).to_have_count(1)  # the trigger is drawn above the first step

    # keyboard only: the palette's Wait button adds a step, which takes the focus; arrow keys move it
    page.locator("#palette button[data-type=wait]").focus()
    page.keyboard.press("Enter")
    wait = page.locator("#nodes .jr-node:focus")
    expect(wait).to_have_attribute("data-type", "wait")
    wait_id = wait.get_attribute("data-id") or ""
    before = node(page, wait_id).get_attribute("transform")
    page.keyboard.press("ArrowRight")
    page.keyboard.press("Shift+ArrowDown")
    expect(node(page, wait_id)).not_to_have_attribute("transform", before or "")
    expect(node(page, wait_id)).to_be_focused()
    expect(page.locator("#nodes .jr-node")).to_have_count(template_nodes + 1)

    # nothing leads to the new step yet: the check flags it on the graph and in the list
    page.locator("#flow-validate").focus()
    page.keyboard.press("Enter")
    problem = page.locator(f"#problems .jr-problem[data-code='unreachable_node'][data-node='{wait_id}']")
    expect(problem).to_have_count(1)
    expect(problem).to_contain_text("No path leads to this step")
    expect(node(page, wait_id)).to_have_class(re.compile(r"has-problem"))
    expect(node(page, wait_id)).to_have_attribute("aria-label", re.compile(r"Problems: \d"))

    # fix it with the keyboard: the first step's first exit now leads to the wait, the wait to where it led
    node(page, start_id).focus()
    page.keyboard.press("Enter")
    expect(page.locator("#panel-form")).to_have_attribute("data-node", start_id)
    first_exit = page.locator("#panel-form select[data-port]").first
    old_target = first_exit.input_value()
    assert old_target, "the template's first step leads somewhere"
    first_exit.focus()
    first_exit.select_option(wait_id)
    node(page, wait_id).focus()
    page.keyboard.press("Enter")
    expect(page.locator("#panel-form")).to_have_attribute("data-node", wait_id)
    expect(page.locator("#panel-form :focus")).to_have_count(1)  # Enter put the focus in the step's settings
    page.locator("#panel-form select[data-port='next']").select_option(old_target)
    expect(page.locator(f"#edges .jr-edge[data-from='{start_id}'][data-to='{wait_id}']")).to_have_count(1)
    onward = page.locator(f"#edges .jr-edge[data-from='{wait_id}'][data-port='next'][data-to='{old_target}']")
    expect(onward).to_have_count(1)
    page.locator("#flow-validate").click()
    expect(page.locator("#problems-none")).to_have_text("No problems found.")
    expect(page.locator("#problems li")).to_have_count(0)
    expect(node(page, wait_id)).not_to_have_class(re.compile(r"has-problem"))

    page.locator("#flow-publish").focus()
    page.keyboard.press("Enter")  # saves the draft (a new version), then publishes it
    expect(page.locator("#flow-status")).to_have_text("Published")
    expect(page.locator("#flow-dirty")).to_be_hidden()
    expect(page.locator("#versions .jr-version")).to_have_count(2)  # the template's version and the edited one
    expect(page.locator("#flow-version")).to_contain_text("published: version 2")

    # a test run for the test contact: the counts appear on the graph and in the list of flows
    page.locator("#test-contact").select_option(str(contact_id))
    page.get_by_role("button", name="Start a test run").click()
    expect(page.locator("#test-result")).to_contain_text("started")
    expect(page.locator("#stats [data-stat=entered] dd")).to_have_text("1")
    expect(node(page, start_id).locator(".jr-node-count")).to_contain_text("1 entered")
    expect(page.locator("#run-rows tr")).to_have_count(1)
    if SHOTS:
        node(page, start_id).focus()
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path="/tmp/journeys-editor-en.png")
    page.get_by_role("link", name="All flows").click()
    ready(page)
    row = page.locator("#flow-rows tr.flow-row", has_text="Thank-you follow-up")
    expect(row.locator("[data-stat=entered]")).to_have_text("1")
    expect(row.locator(".badge")).to_have_text("Published")

    # unpublish from the editor, stopping the running test run too
    row.get_by_role("link", name="Edit Thank-you follow-up").click()
    ready(page)
    page.get_by_role("button", name="Unpublish").click()
    dialog = page.locator("#unpublish-dialog")
    expect(dialog).to_be_visible()
    dialog.get_by_label("are stopped now").check()
    dialog.get_by_role("button", name="Unpublish").click()
    expect(page.locator("#flow-status")).to_have_text("Unpublished")
    expect(page.locator("#run-rows tr").first).to_have_attribute("data-status", re.compile(r"cancelled|completed"))
    expect(page.locator("#flow-publish")).to_be_enabled()
    assert page_errors == []


def test_the_editor_speaks_traditional_chinese_and_japanese(new_page, hub_server, page_errors):
    shop()
    page = new_page(width=1440, height=900)
    sign_in(page, "mia@shop.test")
    new_flow_from_template(page, "Welcome")
    flow_url = page.url
    set_locale("mia@shop.test", "zh_Hant")
    page.goto(flow_url)
    ready(page)
    expect(page.locator("#palette button[data-type=wait]")).to_have_text("等待")
    expect(page.locator("#palette button[data-type=bot_products]")).to_have_text("機械人：搜尋商品")
    expect(page.get_by_role("button", name="發佈", exact=True)).to_be_visible()
    expect(page.locator("#palette-title")).to_have_text("新增步驟")
    set_locale("mia@shop.test", "ja")
    page.goto(flow_url)
    ready(page)
    expect(page.locator("#palette button[data-type=wait]")).to_have_text("待機")
    expect(page.locator("#palette button[data-type=wait_reply]")).to_have_text("返信を待つ")
    expect(page.locator("#palette button[data-type=bot_points]")).to_have_text("ボット：ポイント照会")
    expect(page.get_by_role("button", name="公開", exact=True)).to_be_visible()
    page.locator("#nodes .jr-node").first.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#panel-form .jr-connections legend")).to_have_text("各出口の接続先")
    if SHOTS:
        page.screenshot(path="/tmp/journeys-editor-ja.png")
    first = page.locator("#panel-form").get_attribute("data-node") or ""
    page.keyboard.press("Escape")  # from the settings back to the step on the graph
    expect(node(page, first)).to_be_focused()

    # Delete removes the focused step (and its arrows); the count of steps goes back
    steps = page.locator("#nodes .jr-node").count()
    page.locator("#palette button[data-type=end]").focus()
    page.keyboard.press("Enter")
    added = page.locator("#nodes .jr-node:focus")
    expect(added).to_have_attribute("data-type", "end")
    expect(page.locator("#nodes .jr-node")).to_have_count(steps + 1)
    page.keyboard.press("Delete")
    expect(page.locator("#nodes .jr-node")).to_have_count(steps)
    expect(page.locator("#saved")).to_contain_text("終了")
    page.goto("/flows")
    ready(page)
    expect(page.locator("#flows-title")).to_have_text("フロー")
    expect(page.locator("#flow-rows tr.flow-row")).to_have_count(1)
    if SHOTS:
        page.screenshot(path="/tmp/journeys-list-ja.png", full_page=True)
    assert page_errors == []


def test_agents_are_refused_and_names_with_markup_are_text(new_page, hub_server, page_errors):
    shop()
    set_locale("sam@shop.test", "ja")
    agent = new_page()
    sign_in(agent, "sam@shop.test", landing=r"/$")
    expect(agent.locator("a[href='/flows']")).to_have_count(0)
    answer = agent.goto("/flows")
    assert answer is not None and answer.status == 403
    expect(agent.locator("body")).to_contain_text("フローを扱えるのはマーケターと管理者だけです。")
    answer = agent.goto("/flows/1")
    assert answer is not None and answer.status == 403
    page_errors.clear()  # the refused pages themselves ("failed to load resource: 403")

    page = new_page(width=1440, height=900)
    sign_in(page, "mia@shop.test")
    page.get_by_role("link", name="Flows", exact=True).first.click()
    ready(page)
    page.locator("#new-flow-name").fill(MARKUP)
    page.get_by_role("button", name="Create the flow").click()  # a blank flow
    expect(page).to_have_url(re.compile(r"/flows/\d+$"))
    ready(page)
    expect(page.locator("#flow-name")).to_have_value(MARKUP)
    node_id = page.locator("#nodes .jr-node").first.get_attribute("data-id") or ""
    page.locator("#nodes .jr-node").first.focus()
    page.keyboard.press("Enter")
    page.locator("#panel-form textarea[data-locale=en]").fill(MARKUP)
    expect(node(page, node_id).locator(".jr-node-summary")).to_have_text(MARKUP[:25] + "…")
    # with a mouse: an End step from the palette, then the "sent" dot of the message and the End step connect them
    page.get_by_role("button", name="Add a step: End").click()
    end_id = page.locator("#nodes .jr-node[data-type=end]").get_attribute("data-id") or ""
    node(page, node_id).locator("circle.jr-port[data-port=sent]").click()
    expect(page.locator("#connect-hint")).to_be_visible()
    node(page, end_id).click()
    arrow = page.locator(f"#edges .jr-edge[data-from='{node_id}'][data-port='sent'][data-to='{end_id}']")
    expect(arrow).to_have_count(1)
    expect(page.locator("#connect-hint")).to_be_hidden()
    node(page, node_id).click()  # opens its settings again
    page.get_by_role("button", name="Show the preview").click()  # on the WhatsApp channel, in English
    expect(page.locator(".jr-preview-out .bubble-text").first).to_have_text(MARKUP)

    # the trigger: an order paid of at least 100.00
    page.get_by_role("button", name="Edit the trigger").click()
    expect(page.locator("#trigger-type")).to_be_focused()
    page.locator("#trigger-type").select_option("order_paid")
    page.get_by_label("Order total at least (cents or yen)").fill("10000")
    expect(page.locator(".jr-trigger-text")).to_have_text("▶ An order is paid")
    page.get_by_role("button", name="Save", exact=True).click()
    expect(page.locator("#flow-dirty")).to_be_hidden()
    page.reload()
    ready(page)
    expect(page.locator(".jr-trigger-text")).to_have_text("▶ An order is paid")
    page.get_by_role("button", name="Edit the trigger").click()
    expect(page.get_by_label("Order total at least (cents or yen)")).to_have_value("10000")
    expect(page.locator("#flow-name")).to_have_value(MARKUP)
    page.get_by_role("link", name="All flows").click()
    ready(page)
    expect(page.locator("#flow-rows .flow-name")).to_have_text(MARKUP)
    html = page.request.get("/flows").text()
    assert "style=" not in html and "<script>" not in html  # the CSP allows neither
    assert page_errors == []


def test_undo_and_redo_take_back_and_bring_again_an_added_step_and_a_quiet_hours_change(new_page, hub_server,
                                                                                         page_errors):
    shop()
    page = new_page(width=1440, height=900)
    sign_in(page, "mia@shop.test")
    new_flow_from_template(page, "Undo me")
    steps = page.locator("#nodes .jr-node")
    expect(steps.first).to_be_visible()
    count = steps.count()
    expect(page.locator("#flow-undo")).to_be_disabled()

    page.locator("#palette button[data-type=wait]").focus()
    page.keyboard.press("Enter")
    expect(steps).to_have_count(count + 1)
    added = page.locator("#nodes .jr-node:focus").get_attribute("data-id") or ""
    page.keyboard.press("Control+z")  # the keyboard: the step is gone, then back
    expect(steps).to_have_count(count)
    expect(page.locator("#flow-redo")).to_be_enabled()
    page.keyboard.press("Control+Shift+z")
    expect(steps).to_have_count(count + 1)
    expect(node(page, added)).to_be_visible()
    page.get_by_role("button", name="Undo", exact=True).click()  # the buttons
    expect(steps).to_have_count(count)
    page.get_by_role("button", name="Redo", exact=True).click()
    expect(steps).to_have_count(count + 1)
    expect(page.locator("#flow-redo")).to_be_disabled()

    # the flow's quiet hours: turned off in the settings panel, then undone to the shop's
    page.locator("#edit-trigger").click()
    quiet = page.locator("#panel-form select[data-setting=quiet_hours]")
    quiet.select_option("own")
    expect(page.locator("#panel-form input[data-setting=quiet_start]")).to_have_value("21:00")
    page.locator("#panel-form input[data-setting=quiet_end]").fill("07:30")
    page.locator("#flow-undo").click()
    expect(page.locator("#panel-form input[data-setting=quiet_end]")).to_have_value("08:00")
    page.locator("#flow-undo").click()
    expect(page.locator("#panel-form select[data-setting=quiet_hours]")).to_have_value("shop")
    page.locator("#flow-save").click()
    expect(page.locator("#flow-dirty")).to_be_hidden()
    expect(page.locator("#flow-version")).to_contain_text("2")
