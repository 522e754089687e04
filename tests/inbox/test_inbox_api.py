"""What the inbox screen reads: options, list rows, a conversation's detail and the contact's whole history."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient

from hub.composition import create_app
from hub.conversations.models import Conversation
from hub.ingest.service import receive
from hub.runtime.db import session_scope, utcnow
from tests.factories import PASSWORD, inbound, make_channel, token_for

ORIGIN = "https://hub.example.test"


def test_options_list_only_the_agents_teams_channels_and_colleagues(client, world):
    a = client.get("/api/v1/inbox/options", headers=token_for(client, "a@shop.test")).json()
    assert [t["name"] for t in a["teams"]] == ["A"] and [c["name"] for c in a["channels"]] == ["WA"]
    assert [u["id"] for u in a["agents"]] == [world.agent_a]
    admin = client.get("/api/v1/inbox/options", headers=token_for(client, "boss@shop.test")).json()
    assert len(admin["teams"]) == 2 and len(admin["channels"]) == 2 and len(admin["agents"]) == 3


def test_list_rows_carry_names_previews_and_search_finds_cjk_inside_sentences(client, world):
    a = token_for(client, "a@shop.test")
    client.post(f"/api/v1/conversations/{world.conversation_a}/tags/退貨", headers=a)
    rows = client.get("/api/v1/inbox/conversations", headers=a).json()["items"]
    assert len(rows) == 1
    row = rows[0]
    assert (row["contact_name"], row["channel_name"], row["channel_kind"]) == ("陳大文", "WA", "whatsapp_meta")
    assert row["preview"]["text"] == "想退貨，請問點做？" and row["tags"] == ["退貨"] and row["unread_count"] == 1
    found = client.get("/api/v1/inbox/conversations", params={"q": "退貨"}, headers=a).json()["items"]
    assert [r["id"] for r in found] == [world.conversation_a]
    assert client.get("/api/v1/inbox/conversations", params={"q": "order"}, headers=a).json()["items"] == []
    admin = token_for(client, "boss@shop.test")
    assert [r["id"] for r in client.get("/api/v1/inbox/conversations", params={"q": "order", "status": "open"},
                                        headers=admin).json()["items"]] == [world.conversation_b]


def test_the_detail_shows_the_whatsapp_window(client, world):
    a = token_for(client, "a@shop.test")
    detail = client.get(f"/api/v1/inbox/conversations/{world.conversation_a}", headers=a).json()
    assert detail["reply_window"]["hours"] == 24 and detail["reply_window"]["closed"] is False
    assert detail["contact"]["name"] == "陳大文" and detail["channel"]["kind"] == "whatsapp_meta"
    with session_scope() as session:
        row = session.get(Conversation, world.conversation_a)
        row.last_inbound_at = utcnow() - timedelta(hours=25)
        session.add(row)
    closed = client.get(f"/api/v1/inbox/conversations/{world.conversation_a}", headers=a).json()["reply_window"]
    assert closed["closed"] is True
    sms = client.get(f"/api/v1/inbox/conversations/{world.conversation_b}",
                     headers=token_for(client, "b@shop.test")).json()["reply_window"]
    assert sms == {"hours": None, "closed": False, "closes_at": None}


def test_the_history_spans_the_contacts_channels_that_the_agent_may_see(client, world):
    sms_a = make_channel("sms_twilio", "SMS A", team_ids=[world.team_a])
    telegram_b = make_channel("telegram", "Bot B", team_ids=[world.team_b])
    with session_scope() as session:  # the same customer (same phone) writes by SMS to team A's number
        receive(session=session, channel_id=sms_a.id, inbound=inbound("SM.A2", "+85291110000", "我嘅訂單到咗未？"))
    a = token_for(client, "a@shop.test")
    history = client.get(f"/api/v1/inbox/conversations/{world.conversation_a}/history", headers=a).json()
    assert [(m["text"], m["channel_name"], m["here"]) for m in history] == [
        ("想退貨，請問點做？", "WA", True), ("我嘅訂單到咗未？", "SMS A", False)]
    detail = client.get(f"/api/v1/inbox/conversations/{world.conversation_a}", headers=a).json()
    assert [c["channel_name"] for c in detail["conversations"]] == ["WA", "SMS A"]
    assert telegram_b.id not in detail["channel_names"]
    older = client.get(f"/api/v1/inbox/conversations/{world.conversation_a}/history",
                       params={"before_id": history[-1]["id"]}, headers=a).json()
    assert [m["text"] for m in older] == ["想退貨，請問點做？"]


def test_pages_need_a_session_and_keep_to_a_strict_policy(backend, world):
    with TestClient(create_app(), base_url=ORIGIN, follow_redirects=False) as browser:
        assert browser.get("/").status_code == 303
        login = browser.get("/login")
        assert login.headers["content-security-policy"].startswith("default-src 'self'; script-src 'self'; ")
        assert "frame-ancestors 'none'" in login.headers["content-security-policy"]
        assert login.headers["x-content-type-options"] == "nosniff" and login.headers["referrer-policy"]
        browser.post("/login", data={"email": "a@shop.test", "password": PASSWORD}, headers={"Origin": ORIGIN})
        page = browser.get("/")
        assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
        for tag in re.findall(r"<script[^>]*>", page.text):
            assert 'src="/static/' in tag or 'type="application/json"' in tag, tag
        assert "style=" not in page.text and "onclick" not in page.text
        assert browser.get(f"/conversations/{world.conversation_a}").status_code == 200
        other = browser.get(f"/conversations/{world.conversation_b}")
        assert other.status_code == 404 and "not one of your teams" in other.text
        script = browser.get("/static/js/inbox.js")
        assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
        assert browser.get("/static/../settings.py").status_code == 404
        assert browser.get("/static/%2e%2e/pages.py").status_code == 404
        assert "content-security-policy" not in browser.get("/docs").headers  # the API explorer loads its own
