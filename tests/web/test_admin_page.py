"""The settings page's door: admins only, everyone else refused in their own language, no browser needed."""

from __future__ import annotations

import json
import re

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from hub.agents.models import User
from hub.composition import create_app
from hub.runtime.db import session_scope
from tests.factories import PASSWORD, make_channel, make_team, make_user

ORIGIN = "https://hub.example.test"  # HUB_PUBLIC_URL in the tests


@pytest.fixture
def browser(backend):  # type: ignore[no-untyped-def]
    with TestClient(create_app(), base_url=ORIGIN, follow_redirects=False) as test_client:
        yield test_client


@pytest.fixture
def people(backend) -> None:  # type: ignore[no-untyped-def]
    team = make_team("Japan")
    make_channel("telegram", "Telegram bot", team_ids=[team])
    make_user("boss@shop.test", role="admin")
    yuki = make_user("yuki@shop.test", team_ids=[team])
    make_user("ads@shop.test", role="marketer")
    with session_scope() as session:
        row = session.get(User, yuki.id)
        assert row is not None
        row.name, row.locale = "Yuki", "ja"
        session.add(row)


def sign_in(browser: TestClient, email: str) -> None:
    answer = browser.post("/login", data={"email": email, "password": PASSWORD}, headers={"Origin": ORIGIN})
    assert answer.status_code == 303, answer.text


def test_signed_out_visitors_are_sent_to_sign_in(browser, people):
    answer = browser.get("/admin")
    assert answer.status_code == 303 and answer.headers["location"] == "/login?next=/admin"


def test_an_agent_is_refused_in_their_language(browser, people):
    sign_in(browser, "yuki@shop.test")
    answer = browser.get("/admin")
    assert answer.status_code == 403
    assert "管理者だけ" in answer.text and 'lang="ja"' in answer.text
    assert 'id="rule-form"' not in answer.text and "admin.js" not in answer.text
    assert 'href="/admin"' not in browser.get("/").text  # and the inbox does not offer the link


def test_a_marketer_is_refused(browser, people):
    sign_in(browser, "ads@shop.test")
    answer = browser.get("/admin")
    assert answer.status_code == 403 and "Only admins can change Hub&#39;s settings." in answer.text
    assert browser.get("/api/v1/tag-rules").status_code == 403  # the API behind it agrees


def test_an_admin_gets_the_page_its_strings_and_the_agents(browser, people):
    sign_in(browser, "boss@shop.test")
    assert 'href="/admin"' in browser.get("/").text
    answer = browser.get("/admin")
    assert answer.status_code == 200
    assert answer.headers["cache-control"] == "no-store"
    assert "script-src 'self'" in answer.headers["content-security-policy"]
    html = answer.text
    for anchor in ("rules", "tags", "hours", "assignment"):
        assert f'href="#{anchor}"' in html and f'id="{anchor}"' in html
    assert re.search(r'<meta name="csrf-token" content="[0-9a-f]+">', html)
    assert "<script>" not in html and "style=" not in html  # the CSP allows neither
    strings = json.loads(re.search(r'id="hub-strings">(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
    assert strings["policy_least_loaded"] == "Least loaded"
    boot = json.loads(re.search(r'id="hub-boot">(.*?)</script>', html, re.S).group(1))  # type: ignore[union-attr]
    assert [agent["name"] for agent in boot["agents"]] == ["Yuki"]  # agents only: admins and marketers take no chats
    assert "telegram" in boot["channel_kinds"]


def test_an_admin_sets_who_answers_a_teams_new_conversations_from_the_users_page(browser, people):
    sign_in(browser, "boss@shop.test")
    page = browser.get("/admin/users")
    csrf = re.search(r'name="csrf_token" value="([0-9a-f]+)"', page.text).group(1)  # type: ignore[union-attr]
    team_id = int(re.search(r'action="/admin/teams/(\d+)"', page.text).group(1))  # type: ignore[union-attr]
    assert re.search(rf'id="team-mode-{team_id}"[^>]*>\s*<option value="channel" selected>', page.text)

    changed = browser.post(f"/admin/teams/{team_id}", headers={"Origin": ORIGIN},
                           data={"csrf_token": csrf, "name": "Japan", "automation_default": "human"})
    assert changed.status_code == 303, changed.text
    added = browser.post("/admin/teams", headers={"Origin": ORIGIN},
                         data={"csrf_token": csrf, "name": "Bots first", "automation_default": "bot"})
    assert added.status_code == 303, added.text
    teams = {t["name"]: t["automation_default"] for t in browser.get("/api/v1/teams").json()}
    assert teams == {"Japan": "human", "Bots first": "bot"}
    again = browser.get("/admin/users").text
    assert re.search(rf'id="team-mode-{team_id}"[^>]*>.*?<option value="human" selected>', again, re.S)

    refused = browser.post(f"/admin/teams/{team_id}", headers={"Origin": ORIGIN},
                           data={"csrf_token": csrf, "name": "Japan", "automation_default": "robot"})
    assert refused.status_code == 422 and "automation_default is one of" in refused.text
    renamed = browser.post(f"/admin/teams/{team_id}", headers={"Origin": ORIGIN},
                           data={"csrf_token": csrf, "name": "日本"})
    assert renamed.status_code == 303  # a form without the choice leaves it alone
    assert {t["name"]: t["automation_default"] for t in browser.get("/api/v1/teams").json()}["日本"] == "human"

    with session_scope() as session:
        boss = session.exec(select(User).where(User.email == "boss@shop.test")).one()
        boss.locale = "ja"
        session.add(boss)
    ja = browser.get("/admin/users").text
    assert "新しい会話の応対" in ja and ">ボット</option>" in ja and ">スタッフ</option>" in ja
