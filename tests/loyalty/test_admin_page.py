"""The loyalty admin page: an admin sets the expiry, an earn rule and tiers in their language; others are
refused; a bad amount gets its reason, not a 500."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from catalog.loyalty import ledger, program
from hub.agents.models import User
from hub.composition import create_app
from hub.runtime.db import session_scope
from hub.runtime.settings import get_settings
from tests.factories import PASSWORD, make_user


@pytest.fixture
def browser(backend):
    make_user("boss@shop.test", role="admin")
    make_user("ann@shop.test")
    with TestClient(create_app(), base_url=get_settings().public_url) as client:
        yield client


def sign_in(browser, email):
    browser.post("/login", data={"email": email, "password": PASSWORD})
    page = browser.get("/admin/loyalty")
    return page, (page.text.split('name="csrf-token" content="')[1].split('"')[0] if page.status_code == 200 else "")


def test_an_admin_keeps_the_program_rules_and_tiers_on_the_page(browser):
    page, csrf = sign_in(browser, "boss@shop.test")
    assert page.status_code == 200 and "No earn rules yet" in page.text
    saved = browser.post("/admin/loyalty/rules", data={"currency": "hkd", "points": "1", "spend": "10.00",
                                                       "csrf_token": csrf})
    assert saved.status_code == 200 and "Earn rule saved" in saved.text and "HK$10.00" in saved.text
    bad = browser.post("/admin/loyalty/rules", data={"currency": "JPY", "points": "1", "spend": "1.5",
                                                     "csrf_token": csrf})
    assert bad.status_code == 422 and "smallest unit" in bad.text
    browser.post("/admin/loyalty/tiers", data={"name": "金卡", "threshold": "1000", "benefits": "九折\n免費改衣",
                                               "csrf_token": csrf})
    browser.post("/admin/loyalty/program", data={"expiry_days": "180", "csrf_token": csrf})
    with session_scope() as session:
        [rule] = program.rules(session=session)
        [tier] = program.tiers(session=session)
        settings = ledger.program(session)
    assert (rule.currency, rule.points, rule.spend_minor) == ("HKD", 1, 1000)
    assert (tier.name, tier.threshold, tier.benefits) == ("金卡", 1000, ["九折", "免費改衣"])
    assert (settings.expiry_days, settings.allow_negative) == (180, False)
    assert "金卡" in browser.get("/admin/loyalty").text
    assert browser.post("/admin/loyalty/program", data={"expiry_days": "180"}).status_code == 403  # no CSRF


def test_an_agent_is_refused_and_the_page_speaks_their_language(browser):
    page, _csrf = sign_in(browser, "ann@shop.test")
    assert page.status_code == 403
    with session_scope() as session:
        boss = session.exec(select(User).where(User.email == "boss@shop.test")).one()
        boss.locale = "ja"
    browser.post("/logout")
    page, _csrf = sign_in(browser, "boss@shop.test")
    assert "ロイヤルティ" in page.text
