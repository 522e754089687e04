"""The assignment API: admins set policies, profiles, deadlines and hours; agents set their presence."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from hub.agents.models import User
from hub.audit.models import AuditEntry
from hub.composition import create_app
from hub.runtime.db import session_scope
from tests.assignment.factories import arrive, assignee, desk, policy
from tests.factories import make_user, token_for


@pytest.fixture
def client(backend):
    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.fixture
def shop(backend):
    team = desk(["ann", "bob"], team="Shop", online=False)
    make_user("boss@shop.test", role="admin")
    return team


def test_admins_manage_policies_and_others_get_403(client, shop):
    admin, agent = token_for(client, "boss@shop.test"), token_for(client, "ann@shop.test")
    body = {"kind": "least_loaded", "team_id": shop.team_id}
    assert client.post("/api/v1/assignment-policies", json=body, headers=agent).status_code == 403
    assert client.get("/api/v1/assignment-policies", headers=agent).status_code == 403
    created = client.post("/api/v1/assignment-policies", json=body, headers=admin)
    assert created.status_code == 201, created.text
    policy_id = created.json()["id"]
    again = client.post("/api/v1/assignment-policies", json=body, headers=admin)
    assert again.status_code == 409 and "PATCH" in again.json()["detail"]
    changed = client.patch(f"/api/v1/assignment-policies/{policy_id}", json={"kind": "skill"}, headers=admin)
    assert changed.json()["kind"] == "skill"
    listed = client.get("/api/v1/assignment-policies", params={"team_id": shop.team_id}, headers=admin).json()
    assert [p["id"] for p in listed] == [policy_id]
    assert client.delete(f"/api/v1/assignment-policies/{policy_id}", headers=admin).status_code == 204
    assert client.get(f"/api/v1/assignment-policies/{policy_id}", headers=admin).status_code == 404
    with session_scope() as session:
        actions = [e.action for e in session.exec(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["assignment_policy.created", "assignment_policy.updated", "assignment_policy.deleted"]


@pytest.mark.parametrize(("body", "says"), [
    ({"kind": "lottery", "team_id": 1}, "kind: Input should be"),
    ({"kind": "sticky"}, "exactly one team (team_id) or one channel (channel_id)"),
    ({"kind": "sticky", "team_id": 1, "channel_id": 1}, "exactly one team"),
    ({"kind": "sticky", "team_id": 999}, "there is no team 999"),
    ({"kind": "sticky", "channel_id": 999}, "there is no channel 999"),
])
def test_a_bad_policy_gets_a_readable_422(client, shop, body, says):
    answer = client.post("/api/v1/assignment-policies", json=body, headers=token_for(client, "boss@shop.test"))
    assert answer.status_code == 422 and says in answer.json()["detail"]


def test_agent_profiles_capacity_skills_and_languages(client, shop):
    admin, agent = token_for(client, "boss@shop.test"), token_for(client, "ann@shop.test")
    ann, bob = shop.agents["ann"], shop.agents["bob"]
    patch = {"capacity": 8, "skills": ["VIP", " refund ", "vip"], "languages": ["ja", "en"]}
    assert client.patch(f"/api/v1/agents/{ann}/profile", json=patch, headers=agent).status_code == 403
    answer = client.patch(f"/api/v1/agents/{ann}/profile", json=patch, headers=admin)
    assert answer.status_code == 200, answer.text
    assert answer.json() | {"last_assigned_at": None} == {"user_id": ann, "capacity": 8, "skills": ["VIP", "refund"],
                                                          "languages": ["ja", "en"], "last_assigned_at": None}
    assert client.get(f"/api/v1/agents/{ann}/profile", headers=agent).json()["capacity"] == 8  # their own
    assert client.get(f"/api/v1/agents/{bob}/profile", headers=agent).status_code == 403
    assert client.get(f"/api/v1/agents/{bob}/profile", headers=admin).json()["capacity"] == 5
    for bad, says in (({"capacity": -1}, "capacity"), ({"languages": ["jp"]}, "languages.0"),
                      ({"skills": [""]}, "a skill cannot be empty")):
        answer = client.patch(f"/api/v1/agents/{ann}/profile", json=bad, headers=admin)
        assert answer.status_code == 422 and says in answer.json()["detail"], answer.text
    with session_scope() as session:
        boss = session.exec(select(User).where(User.email == "boss@shop.test")).one()
    answer = client.patch(f"/api/v1/agents/{boss.id}/profile", json={"capacity": 3}, headers=admin)
    assert answer.status_code == 422 and "only agents are assigned" in answer.json()["detail"]
    assert client.patch("/api/v1/agents/9999/profile", json={"capacity": 3}, headers=admin).status_code == 404


def test_team_deadline_and_business_hours(client, shop):
    admin = token_for(client, "boss@shop.test")
    path = f"/api/v1/teams/{shop.team_id}/policy"
    assert client.get(path, headers=token_for(client, "ann@shop.test")).status_code == 403
    assert client.get(path, headers=admin).json() | {"next_opening": None} == {
        "team_id": shop.team_id, "first_response_minutes": None, "timezone": "UTC", "weekly_hours": None,
        "open_now": True, "next_opening": None}
    body = {"first_response_minutes": 15, "timezone": "Asia/Tokyo", "weekly_hours": {"mon": [["09:00", "18:00"]]}}
    answer = client.put(path, json=body, headers=admin)
    assert answer.status_code == 200 and answer.json()["timezone"] == "Asia/Tokyo"
    opening = answer.json()["next_opening"]
    assert opening.endswith("+09:00") and (answer.json()["open_now"] or "T09:00:00" in opening)
    assert client.put(path, json={"first_response_minutes": 30}, headers=admin).json()["weekly_hours"] == {
        "mon": [["09:00", "18:00"]]}  # only what is sent changes
    for bad, says in (({"timezone": "Tokyo"}, "unknown time zone"), ({"weekly_hours": {"lun": []}}, "unknown day"),
                      ({"first_response_minutes": 0}, "first_response_minutes")):
        answer = client.put(path, json=bad, headers=admin)
        assert answer.status_code == 422 and says in answer.json()["detail"], answer.text
    assert client.get("/api/v1/teams/999/policy", headers=admin).status_code == 404


def test_presence_is_set_by_each_agent_and_hands_work_on(client, shop):
    policy("least_loaded", team_id=shop.team_id)
    ann, bob = token_for(client, "ann@shop.test"), token_for(client, "bob@shop.test")
    conversation = arrive(shop.channel_id)
    assert client.post("/api/v1/agents/me/presence", json={"online": True}, headers=ann).json() == {
        "online": True, "handed_on": 0}
    from hub.assignment import jobs

    jobs.run_queue()  # what the job enqueued by going online does
    assert assignee(conversation) == shop.agents["ann"]
    client.post("/api/v1/agents/me/presence", json={"online": True}, headers=bob)
    answer = client.post("/api/v1/agents/me/presence", json={"online": False}, headers=ann)
    assert answer.json() == {"online": False, "handed_on": 1}
    assert assignee(conversation) == shop.agents["bob"]
    assert client.post("/api/v1/agents/me/presence", json={"online": "maybe"}, headers=ann).status_code == 422
    assert client.post("/api/v1/agents/me/presence", json={"online": True}).status_code == 401


def test_assigning_by_hand_and_the_history(client, shop):
    outsider = make_user("zed@elsewhere.test")
    conversation = arrive(shop.channel_id)
    ann = token_for(client, "ann@shop.test")
    path = f"/api/v1/conversations/{conversation}/assignee"
    answer = client.put(path, json={"assignee_id": shop.agents["bob"]}, headers=ann)
    assert answer.status_code == 200 and answer.json()["policy"] == "manual"
    assert assignee(conversation) == shop.agents["bob"]
    refused = client.put(path, json={"assignee_id": outsider.id}, headers=ann)
    assert refused.status_code == 422 and "not in a team" in refused.json()["detail"]
    assert client.put(path, json={"assignee_id": shop.agents["bob"]},
                      headers=token_for(client, "zed@elsewhere.test")).status_code == 404
    history = client.get(f"/api/v1/conversations/{conversation}/assignments", headers=ann).json()
    assert [(h["assignee_id"], h["policy"], h["reason"]) for h in history] == [
        (shop.agents["bob"], "manual", "assigned by ann")]


def test_the_routes_are_documented(client):
    paths = client.app.openapi()["paths"]  # /openapi.json itself needs a signed-in user (tests/core/test_health.py)
    for path in ("/api/v1/assignment-policies", "/api/v1/assignment-policies/{policy_id}",
                 "/api/v1/agents/{user_id}/profile", "/api/v1/agents/me/presence", "/api/v1/teams/{team_id}/policy",
                 "/api/v1/conversations/{conversation_id}/assignee",
                 "/api/v1/conversations/{conversation_id}/assignments"):
        assert path in paths, path
