"""Issue 12, items 1, 5 and 16: one cookie parser for sign-in and CSRF, sign-out that ends the session
on the server, sessions listed and revoked per user, and deactivation that ends REST and live access."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select
from starlette.websockets import WebSocketDisconnect

from hub.composition import create_app
from hub.conversations.models import Message
from hub.runtime.db import session_scope
from tests.factories import PASSWORD, token_for
from tests.inbox.test_live import next_reply

ORIGIN = "https://hub.example.test"


@pytest.fixture
def browser(backend):
    with TestClient(create_app(), base_url=ORIGIN, follow_redirects=False) as test_client:
        yield test_client


def sign_in(client: TestClient, email: str = "a@shop.test") -> str:
    answer = client.post("/login", data={"email": email, "password": PASSWORD}, headers={"Origin": ORIGIN})
    assert answer.status_code == 303, answer.text
    return re.search(r"hub_session=([^;]+)", answer.headers["set-cookie"]).group(1)


def csrf_of(client: TestClient, cookie: str) -> str:
    page = client.get("/", headers={"Cookie": f"hub_session={cookie}"})
    return re.search(r'<meta name="csrf-token" content="([0-9a-f]+)">', page.text).group(1)


def replies(conversation_id: int) -> list[str]:
    with session_scope() as session:
        return [m.text or "" for m in session.exec(select(Message).where(
            Message.conversation_id == conversation_id, Message.direction == "outbound"))]


@pytest.mark.parametrize("before", ['consent={"analytics":true}', "theme=dark mode", 'quoted="a b"; x=1',
                                    "broken=\\x; empty="])
def test_a_cookie_sent_after_an_odd_one_still_needs_the_csrf_token(browser, world, before):
    cookie = sign_in(browser)
    browser.cookies.clear()
    url = f"/api/v1/conversations/{world.conversation_a}/messages"
    header = {"Cookie": f"{before}; hub_session={cookie}"}
    assert browser.get("/api/v1/me", headers=header).status_code == 200  # the same header does sign in
    refused = browser.post(url, json={"text": "forged by another site"}, headers=header)
    assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    empty_bearer = browser.post(url, json={"text": "forged too"}, headers={**header, "Authorization": "Bearer "})
    assert empty_bearer.status_code == 403
    assert replies(world.conversation_a) == []
    token = csrf_of(browser, cookie)
    sent = browser.post(url, json={"text": "from the inbox"}, headers={**header, "X-CSRF-Token": token})
    assert sent.status_code == 202 and replies(world.conversation_a) == ["from the inbox"]


def test_signing_out_ends_the_session_on_the_server(browser, world):
    cookie = sign_in(browser)
    token = csrf_of(browser, cookie)
    assert browser.post("/logout", data={"csrf_token": token}).status_code == 303
    browser.cookies.clear()
    copied = {"Cookie": f"hub_session={cookie}"}
    assert browser.get("/api/v1/me", headers=copied).status_code == 401
    assert browser.get("/api/v1/me", headers={"Authorization": f"Bearer {cookie}"}).status_code == 401
    assert browser.get("/", headers=copied).headers["location"].startswith("/login")


def test_sessions_are_listed_per_user_and_ended_by_their_owner_or_an_admin(browser, world):
    cookie = sign_in(browser)
    browser.cookies.clear()
    a_bearer = token_for(browser, "a@shop.test")
    b_bearer = token_for(browser, "b@shop.test")
    mine = browser.get(f"/api/v1/users/{world.agent_a}/sessions", headers=a_bearer)
    assert mine.status_code == 200
    rows = mine.json()
    assert sorted(r["kind"] for r in rows) == ["bearer", "cookie"]
    assert [r["current"] for r in rows if r["kind"] == "bearer"] == [True]
    cookie_session = next(r["id"] for r in rows if r["kind"] == "cookie")
    # another agent neither sees nor ends them
    assert browser.get(f"/api/v1/users/{world.agent_a}/sessions", headers=b_bearer).status_code == 404
    assert browser.delete(f"/api/v1/sessions/{cookie_session}", headers=b_bearer).status_code == 404
    assert browser.get("/api/v1/me", headers={"Cookie": f"hub_session={cookie}"}).status_code == 200
    # the owner ends their browser's session
    assert browser.delete(f"/api/v1/sessions/{cookie_session}", headers=a_bearer).status_code == 204
    assert browser.get("/api/v1/me", headers={"Cookie": f"hub_session={cookie}"}).status_code == 401
    # an admin ends anyone's
    admin = token_for(browser, "boss@shop.test")
    [left] = browser.get(f"/api/v1/users/{world.agent_a}/sessions", headers=admin).json()
    assert left["current"] is False
    assert browser.delete(f"/api/v1/sessions/{left['id']}", headers=admin).status_code == 204
    assert browser.get("/api/v1/me", headers=a_bearer).status_code == 401
    assert browser.get(f"/api/v1/users/{world.agent_a}/sessions", headers=admin).json() == []


def test_the_sessions_routes_are_documented_with_their_answers(browser):
    paths = browser.app.openapi()["paths"]
    listed = paths["/api/v1/users/{user_id}/sessions"]["get"]["responses"]["200"]["content"]["application/json"]
    assert listed["schema"]["items"]["$ref"].endswith("/SessionOut")
    assert "204" in paths["/api/v1/sessions/{session_id}"]["delete"]["responses"]


def test_a_deactivated_agent_loses_rest_and_the_live_socket_at_once(browser, world):
    bearer = token_for(browser, "a@shop.test")
    token = bearer["Authorization"].split(" ", 1)[1]
    admin = token_for(browser, "boss@shop.test")
    with browser.websocket_connect(f"/api/v1/ws?token={token}") as ws:
        assert ws.receive_json()["type"] == "hello"
        off = browser.patch(f"/api/v1/users/{world.agent_a}", json={"is_active": False}, headers=admin)
        assert off.status_code == 200
        with pytest.raises(WebSocketDisconnect) as closed:  # closed now, not at the next minute's re-check
            next_reply(ws, world)  # (a late live event of agent A's world may come before the close)
        assert closed.value.code == 4401
    assert browser.get("/api/v1/me", headers=bearer).status_code == 401
    assert browser.get(f"/api/v1/conversations/{world.conversation_a}", headers=bearer).status_code == 401
    with browser.websocket_connect(f"/api/v1/ws?token={token}") as ws:
        with pytest.raises(WebSocketDisconnect) as refused:
            ws.receive_json()
        assert refused.value.code == 4401


def test_signing_out_closes_that_browsers_socket_but_not_another_devices(browser, world):
    cookie = sign_in(browser)
    browser.cookies.clear()
    other = token_for(browser, "a@shop.test")["Authorization"].split(" ", 1)[1]
    headers = {"Cookie": f"hub_session={cookie}", "Origin": ORIGIN}
    with browser.websocket_connect("/api/v1/ws", headers=headers) as ws, \
            browser.websocket_connect(f"/api/v1/ws?token={other}") as phone:
        assert ws.receive_json()["type"] == "hello" and phone.receive_json()["type"] == "hello"
        out = browser.post("/logout", data={"csrf_token": csrf_of(browser, cookie)},
                           headers={"Cookie": f"hub_session={cookie}"})
        assert out.status_code == 303
        with pytest.raises(WebSocketDisconnect) as closed:
            next_reply(ws, world)
        assert closed.value.code == 4401
        phone.send_json({"type": "ping"})
        assert next_reply(phone, world) == {"type": "pong"}
