"""Two store clerks on their phones redeem the same coupon at once: exactly one succeeds, the other is told it was
already redeemed, in their language. The customer's page shows the QR code the till scans."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect
from sqlmodel import select

from catalog.stores import coupons
from catalog.stores.models import Coupon
from hub.agents.models import User
from hub.runtime.db import session_scope
from tests.factories import PASSWORD, make_user
from tests.stores.factories import make_contact, make_coupon, make_store

pytestmark = pytest.mark.browser
PHONE = {"width": 390, "height": 844}


def clerk(email: str, locale: str) -> int:
    made = make_user(email, role="store")
    with session_scope() as session:
        row = session.get(User, made.id)
        assert row is not None
        row.locale = locale
        session.add(row)
    return made.id or 0


def at_the_desk(page, email: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/login")
    page.locator("#email").fill(email)
    page.locator("#password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.wait_for_url("**/store")


@pytest.mark.both_backends
def test_two_tills_redeem_one_coupon_at_once_and_exactly_one_succeeds(new_page, hub_server, page_errors):
    ann, bo = clerk("ann@shop.test", "en"), clerk("bo@shop.test", "zh_Hant")
    make_store(staff_ids=[ann, bo])
    code = make_coupon(make_contact(name="陳大文 <b>Tai Man</b>"), offer="九折 10% off")

    tills = [new_page(**PHONE), new_page(**PHONE, locale="zh-HK")]
    at_the_desk(tills[0], "ann@shop.test")
    at_the_desk(tills[1], "bo@shop.test")
    for till in tills:
        till.locator("#desk-code").fill(code.lower())
        till.locator("#desk-form button[type=submit]").click()
        expect(till.locator("#desk-customer")).to_have_text("陳大文 <b>Tai Man</b>")  # as text, never as markup
        expect(till.locator("#desk-offer")).to_have_text("九折 10% off")
        expect(till.locator("#desk-redeem")).to_be_enabled()
    expect(tills[0].locator("#desk-state")).to_have_text("Valid")

    at = tills[0].evaluate("() => Date.now()") + 1500  # both buttons pressed at the same moment
    for till in tills:
        till.evaluate("at => setTimeout(() => document.getElementById('desk-redeem').click(), at - Date.now())", at)
    results = [till.locator("#desk-result") for till in tills]
    for result in results:
        expect(result).not_to_have_text("")
    said = {till.locator("#desk-result").inner_text() for till in tills}
    assert said in ({"Redeemed. Thank you!", "此優惠券已被兌換。"},
                    {"已兌換，謝謝！", "This coupon was already redeemed."}), said
    for till in tills:  # both now show it redeemed
        expect(till.locator("#desk-state")).to_have_attribute("data-state", "redeemed")
    with session_scope() as session:
        [coupon] = session.exec(select(Coupon)).all()
    assert coupon.state == "redeemed" and coupon.redeemed_by_id in (ann, bo)
    assert [e for e in page_errors if "409" not in e] == []  # the refused till's 409, nothing else


def test_the_customers_phone_shows_the_qr_code_and_the_till_finds_the_coupon_by_address(new_page, hub_server):
    code = make_coupon(make_contact(phone="+819012345678", name="佐藤花子"), code="BDAY20XYZW", offer="20% off")
    phone = new_page(**PHONE, locale="ja-JP")
    phone.goto(coupons.page_url(code))
    expect(phone.locator("h1")).to_have_text("クーポン")
    expect(phone.locator(".qr svg")).to_be_visible()
    expect(phone.locator(".code strong")).to_have_text(code)
    assert phone.locator("svg").bounding_box()["width"] <= PHONE["width"]  # type: ignore[index]


def test_an_admin_adds_a_store_with_its_clerk_in_japanese(new_page, hub_server, page_errors):
    boss = make_user("boss@shop.test", role="admin")
    with session_scope() as session:
        row = session.get(User, boss.id)
        assert row is not None
        row.locale = "ja"
        session.add(row)
    clerk("ann@shop.test", "en")
    page = new_page()
    page.goto("/login")
    page.locator("#email").fill("boss@shop.test")
    page.locator("#password").fill(PASSWORD)
    page.locator("form button[type=submit]").click()
    page.goto("/admin/stores")
    expect(page.locator("#store-list")).to_have_text("店舗はまだありません。")
    page.locator("#store-name").fill("渋谷店 <i>")
    page.locator("#store-address").fill("東京都渋谷区")
    page.locator("#store-timezone").fill("Asia/Tokyo")
    page.locator('input[name="staff"]').check()
    page.get_by_role("button", name="店舗を追加").click()
    row = page.locator("#store-list li")
    expect(row).to_contain_text("渋谷店 <i>")
    expect(row).to_contain_text("東京都渋谷区 · Asia/Tokyo")
    expect(row).to_contain_text("ann")  # the clerk works there
    row.get_by_role("button", name="閉じる").click()
    expect(row.get_by_role("button", name="再開する")).to_be_visible()
    page.locator("#store-name").fill("Bad zone")
    page.locator("#store-timezone").fill("Mars/Olympus")
    page.get_by_role("button", name="店舗を追加").click()
    expect(page.locator("#flash")).to_contain_text("IANA")
    assert [e for e in page_errors if "422" not in e] == []
