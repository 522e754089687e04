"""Cookie sign-in, CSRF on every cookie-authenticated change, throttling, sign-out and password changes."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from hub.composition import create_app
from tests.factories import PASSWORD, token_for

ORIGIN = "https://hub.example.test"  # HUB_PUBLIC_URL in the tests: https, so the cookie is Secure


@pytest.fixture
def browser(backend):
    with TestClient(create_app(), base_url=ORIGIN, follow_redirects=False) as test_client:
        yield test_client


def sign_in(browser: TestClient, email: str = "a@shop.test", password: str = PASSWORD, **extra: str):
    return browser.post("/login", data={"email": email, "password": password, **extra}, headers={"Origin": ORIGIN})


def csrf_of(browser: TestClient) -> str:
    page = browser.get("/")
    assert page.status_code == 200, page.text
    return re.search(r'<meta name="csrf-token" content="([0-9a-f]+)">', page.text).group(1)


def test_signing_in_sets_a_locked_down_cookie_and_follows_only_local_next(browser, world):
    assert browser.get("/").headers["location"] == "/login?next=/"
    answer = sign_in(browser, next="/conversations/1")
    assert answer.status_code == 303 and answer.headers["location"] == "/conversations/1"
    cookie = answer.headers["set-cookie"]
    assert cookie.startswith("hub_session=") and "HttpOnly" in cookie and "Secure" in cookie
    assert "samesite=lax" in cookie.lower()
    assert browser.get("/api/v1/me").json()["email"] == "a@shop.test"
    browser.cookies.clear()
    assert sign_in(browser, next="//evil.example/x").headers["location"] == "/"
    browser.cookies.clear()
    assert sign_in(browser, next="https://evil.example/").headers["location"] == "/"


def test_a_login_form_posted_from_another_site_is_refused(browser, world):
    answer = browser.post("/login", data={"email": "a@shop.test", "password": PASSWORD},
                          headers={"Origin": "https://evil.example"})
    assert answer.status_code == 403 and "hub_session" not in answer.headers.get("set-cookie", "")


def test_five_failures_lock_the_account_for_a_while_on_the_form_and_the_api(browser, world):
    for _ in range(5):
        assert sign_in(browser, password="wrong password").status_code == 401
    locked = sign_in(browser)
    assert locked.status_code == 429 and int(locked.headers["retry-after"]) > 0
    assert "hub_session" not in locked.headers.get("set-cookie", "")
    api = browser.post("/api/v1/auth/token", data={"username": "a@shop.test", "password": PASSWORD})
    assert api.status_code == 429 and int(api.headers["retry-after"]) > 0
    assert sign_in(browser, email="b@shop.test").status_code == 303  # other accounts are not locked


def test_one_address_trying_many_accounts_is_throttled(browser, world):
    for n in range(20):
        browser.post("/api/v1/auth/token", data={"username": f"guess{n}@shop.test", "password": "x" * 8})
    assert sign_in(browser, email="b@shop.test").status_code == 429


def test_a_good_password_clears_the_accounts_count(browser, world):
    for _ in range(4):
        sign_in(browser, password="wrong password")
    assert sign_in(browser).status_code == 303
    browser.cookies.clear()
    for _ in range(4):
        sign_in(browser, password="wrong password")
    assert sign_in(browser).status_code == 303


def test_cookie_requests_that_change_state_need_the_csrf_token(browser, world):
    sign_in(browser)
    url = f"/api/v1/conversations/{world.conversation_a}/read"
    refused = browser.post(url)
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    assert browser.post(url, headers={"X-CSRF-Token": "0" * 64}).status_code == 403
    core = browser.put(f"/api/v1/conversations/{world.conversation_a}/assignee", json={"assignee_id": None})
    assert core.status_code == 403  # the core's own routes are covered too
    token = csrf_of(browser)
    assert browser.post(url, headers={"X-CSRF-Token": token}).status_code == 200
    assert browser.get(f"/api/v1/conversations/{world.conversation_a}").status_code == 200  # reads need none
    with TestClient(create_app(), base_url=ORIGIN) as api_client:  # a bearer token cannot be forged by a page
        bearer = token_for(api_client, "a@shop.test")
        assert api_client.post(url, headers=bearer).status_code == 200


def test_signing_out_needs_the_token_and_ends_the_cookie(browser, world):
    sign_in(browser)
    assert browser.post("/logout").status_code == 403
    token = csrf_of(browser)
    out = browser.post("/logout", data={"csrf_token": token})
    assert out.status_code == 303 and out.headers["location"] == "/login?done=out"
    assert 'hub_session=""' in out.headers["set-cookie"] or "Max-Age=0" in out.headers["set-cookie"]
    assert browser.get("/api/v1/me").status_code == 401


def test_a_new_password_ends_every_session_and_token(browser, world):
    sign_in(browser)
    old_cookie = browser.cookies.get("hub_session")
    with TestClient(create_app(), base_url=ORIGIN) as other:
        bearer = token_for(other, "a@shop.test")
        token = csrf_of(browser)
        form = {"csrf_token": token, "current_password": "not it at all", "new_password": "新しいパスワード123",
                "confirm_password": "新しいパスワード123"}
        assert browser.post("/account/password", data=form).status_code == 400
        changed = browser.post("/account/password", data={**form, "current_password": PASSWORD})
        assert changed.status_code == 303 and changed.headers["location"] == "/login?done=password"
        assert other.get("/api/v1/me", headers=bearer).status_code == 401
        other.cookies.set("hub_session", old_cookie, domain="hub.example.test")
        assert other.get("/api/v1/me").status_code == 401
    assert sign_in(browser, password=PASSWORD).status_code == 401
    assert sign_in(browser, password="新しいパスワード123").status_code == 303


def test_the_password_api_for_token_users(browser, world):
    headers = token_for(browser, "b@shop.test")
    assert browser.post("/api/v1/me/password", headers=headers,
                        json={"current_password": PASSWORD, "new_password": "short"}).status_code == 422
    assert browser.post("/api/v1/me/password", headers=headers,
                        json={"current_password": PASSWORD, "new_password": "a much longer one"}).status_code == 204
    assert browser.get("/api/v1/me", headers=headers).status_code == 401


def test_the_agent_chooses_the_language_of_the_inbox(browser, world):
    sign_in(browser)
    assert "Search messages" in browser.get("/").text
    token = csrf_of(browser)
    assert browser.post("/account/language", data={"csrf_token": token, "locale": "xx"}).status_code == 422
    assert browser.post("/account/language", data={"csrf_token": token, "locale": "ja"}).status_code == 303
    page = browser.get("/").text
    assert '<html lang="ja">' in page and "メッセージを検索" in page and "受信箱" in page
    browser.post("/account/language", data={"csrf_token": token, "locale": "zh_Hant"})
    page = browser.get("/").text
    assert '<html lang="zh-Hant">' in page and "搜尋訊息" in page
    assert "サインイン" in browser.get("/login?lang=ja").text or browser.get("/login?lang=ja").status_code == 303


def test_the_login_page_speaks_the_browsers_language(backend):
    with TestClient(create_app(), base_url=ORIGIN) as client:
        assert "登入收件匣" in client.get("/login", headers={"Accept-Language": "zh-TW,zh;q=0.9"}).text
        assert "受信箱にサインイン" in client.get("/login", headers={"Accept-Language": "ja-JP"}).text
        assert "Sign in to the inbox" in client.get("/login", headers={"Accept-Language": "de"}).text
