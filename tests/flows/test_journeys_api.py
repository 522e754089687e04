"""The journeys' routes: who may do what, versions, publishing with problems, templates, runs and tasks."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from flows.journeys import templates
from flows.journeys.graph import problems
from hub.composition import create_app
from hub.contacts.models import Contact
from hub.conversations import service as conversations
from hub.runtime.db import session_scope
from tests.factories import make_channel, make_team, make_user, token_for

SIMPLE = {
    "trigger": {"type": "api", "config": {}},
    "start": "hi",
    "nodes": [{"id": "hi", "type": "send_message", "config": {"text": {"en": "Hi {{ first_name }}"}},
               "position": {"x": 1, "y": 2}},
              {"id": "pause", "type": "wait", "config": {"minutes": 60}},
              {"id": "bye", "type": "end", "config": {}}],
    "edges": [{"from": "hi", "port": "sent", "to": "pause"}, {"from": "pause", "port": "next", "to": "bye"}],
}


@pytest.fixture
def client(backend: Any) -> Any:
    make_user("mika@shop.test", role="marketer")
    make_user("ann@shop.test")
    make_user("root@shop.test", role="admin")
    with TestClient(create_app()) as test_client:
        yield test_client


def test_agents_may_not_edit_flows(client: Any) -> None:
    agent = token_for(client, "ann@shop.test")
    marketer = token_for(client, "mika@shop.test")
    flow = client.post("/api/v1/flows", json={"name": "Hi", "definition": SIMPLE}, headers=marketer).json()
    for method, path in [("post", ""), ("patch", f"/{flow['id']}"), ("delete", f"/{flow['id']}"),
                         ("post", f"/{flow['id']}/publish"), ("post", f"/{flow['id']}/unpublish"),
                         ("get", f"/{flow['id']}/versions"), ("get", f"/{flow['id']}/stats"),
                         ("post", "/validate")]:
        answer = client.request(method, f"/api/v1/flows{path}", json={}, headers=agent)
        assert answer.status_code == 403, (method, path, answer.text)
    assert client.get("/api/v1/flows").status_code == 401
    assert client.get("/api/v1/flows", headers=agent).status_code == 200  # to start a manual flow from the inbox


def test_editing_makes_versions_and_publishing_pins_one(client: Any) -> None:
    marketer = token_for(client, "mika@shop.test")
    flow = client.post("/api/v1/flows", json={"name": "Hi", "definition": SIMPLE}, headers=marketer)
    assert flow.status_code == 201, flow.text
    flow_id = flow.json()["id"]
    assert flow.json()["status"] == "draft" and flow.json()["draft"]["version"] == 1
    published = client.post(f"/api/v1/flows/{flow_id}/publish", json={}, headers=marketer)
    assert published.status_code == 200, published.text
    assert published.json()["published_version"] == 1 and published.json()["trigger_type"] == "api"
    changed = {**SIMPLE, "nodes": [*SIMPLE["nodes"][:1],
                                   {"id": "pause", "type": "wait", "config": {"minutes": 120}}, SIMPLE["nodes"][2]]}
    patched = client.patch(f"/api/v1/flows/{flow_id}", json={"definition": changed}, headers=marketer).json()
    assert patched["draft"]["version"] == 2 and patched["published_version"] == 1
    same = client.patch(f"/api/v1/flows/{flow_id}", json={"definition": changed, "name": "Hello"}, headers=marketer)
    assert same.json()["draft"]["version"] == 2 and same.json()["name"] == "Hello"
    versions = client.get(f"/api/v1/flows/{flow_id}/versions", headers=marketer).json()
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["published_at"] and not versions[1]["published_at"]
    off = client.post(f"/api/v1/flows/{flow_id}/unpublish", json={"cancel_runs": True}, headers=marketer).json()
    assert off["status"] == "unpublished" and off["trigger_type"] is None


def test_publishing_a_flow_with_problems_is_refused_with_them(client: Any) -> None:
    marketer = token_for(client, "mika@shop.test")
    broken = {
        "trigger": {"type": "order_paid", "config": {}},
        "start": "ask",
        "nodes": [{"id": "ask", "type": "wait_reply", "config": {}},
                  {"id": "lost", "type": "end", "config": {}},
                  {"id": "odd", "type": "teleport", "config": {}}],
        "edges": [{"from": "ask", "port": "maybe", "to": "lost"}],
    }
    flow_id = client.post("/api/v1/flows", json={"name": "Broken", "definition": broken}, headers=marketer).json()["id"]
    answer = client.post(f"/api/v1/flows/{flow_id}/publish", json={}, headers=marketer)
    assert answer.status_code == 422
    codes = {(p["node_id"], p["code"]) for p in answer.json()["problems"]}
    assert ("ask", "no_timeout") in codes and ("ask", "unknown_port") in codes
    assert ("ask", "missing_port") in codes and ("odd", "unknown_node_type") in codes
    assert ("odd", "unreachable_node") in codes
    checked = client.post("/api/v1/flows/validate", json={"definition": broken}, headers=marketer).json()
    assert {(p["node_id"], p["code"]) for p in checked["problems"]} == codes


def test_a_loop_without_a_wait_and_a_bad_trigger_are_problems() -> None:
    loop = {"trigger": {"type": "sometimes"}, "start": "a",
            "nodes": [{"id": "a", "type": "tag", "config": {"add": ["x"]}},
                      {"id": "b", "type": "tag", "config": {"add": ["y"]}}],
            "edges": [{"from": "a", "port": "next", "to": "b"}, {"from": "b", "port": "next", "to": "a"}]}
    codes = {p["code"] for p in problems(loop)}
    assert codes == {"cycle_without_wait", "unknown_trigger"}
    assert problems({"trigger": {"type": "api"}, "start": "zz", "nodes": [], "edges": []})[0]["code"] == "no_start"


def test_every_template_is_valid_in_three_languages(client: Any) -> None:
    marketer = token_for(client, "mika@shop.test")
    listed = client.get("/api/v1/flow-templates?locale=ja", headers=marketer).json()
    assert {t["key"] for t in listed} >= {"welcome", "post_purchase", "abandoned_cart", "win_back", "birthday",
                                          "monthly_loyal"}
    assert next(t for t in listed if t["key"] == "birthday")["name"] == "誕生日クーポン"
    for key in templates.TEMPLATES:
        found = problems(templates.get(key)["definition"])  # type: ignore[index]
        assert found == [] or (key == "monthly_loyal" and [p["code"] for p in found] == ["bad_config"]), (key, found)
        for node in templates.get(key)["definition"]["nodes"]:  # type: ignore[index]
            if node["type"] == "send_message":
                assert set(node["config"]["text"]) == {"en", "zh-Hant", "ja"}
    made = client.post("/api/v1/flows", json={"template": "abandoned_cart", "locale": "zh-Hant"}, headers=marketer)
    assert made.status_code == 201 and made.json()["name"] == "購物車提醒"
    assert client.post(f"/api/v1/flows/{made.json()['id']}/publish", headers=marketer).status_code == 200
    assert client.post("/api/v1/flows", json={"template": "nope"}, headers=marketer).status_code == 422


def test_deleting_a_flow_with_active_runs_needs_cancel_runs(client: Any) -> None:
    marketer = token_for(client, "mika@shop.test")
    channel_id = make_channel("telegram").id or 0
    with session_scope() as session:
        contact = Contact(name="陳大文")
        session.add(contact)
        session.flush()
        conversations.open_for(session=session, contact_id=contact.id or 0, channel_id=channel_id)
        contact_id = contact.id or 0
    flow_id = client.post("/api/v1/flows", json={"name": "Hi", "definition": SIMPLE}, headers=marketer).json()["id"]
    assert client.post(f"/api/v1/flows/{flow_id}/runs", json={"contact_id": contact_id},
                       headers=marketer).status_code == 409  # not published
    client.post(f"/api/v1/flows/{flow_id}/publish", headers=marketer)
    run = client.post(f"/api/v1/flows/{flow_id}/runs", json={"contact_id": contact_id}, headers=marketer)
    assert run.status_code == 201, run.text
    assert client.post(f"/api/v1/flows/{flow_id}/runs", json={"contact_id": contact_id},
                       headers=marketer).status_code == 409  # one active run per contact
    assert client.delete(f"/api/v1/flows/{flow_id}", headers=marketer).status_code == 409
    assert client.delete(f"/api/v1/flows/{flow_id}?cancel_runs=true", headers=marketer).status_code == 204


def test_agents_see_runs_only_of_their_teams_customers(client: Any) -> None:
    marketer = token_for(client, "mika@shop.test")
    ours, theirs = make_team("Ours"), make_team("Theirs")
    make_user("bea@shop.test", team_ids=[ours])
    agent = token_for(client, "bea@shop.test")
    mine_channel = make_channel("telegram", "Ours", team_ids=[ours]).id or 0
    other_channel = make_channel("telegram", "Theirs", team_ids=[theirs]).id or 0
    ids = []
    with session_scope() as session:
        for name, channel_id in (("客 A", mine_channel), ("客 B", other_channel)):
            contact = Contact(name=name)
            session.add(contact)
            session.flush()
            conversations.open_for(session=session, contact_id=contact.id or 0, channel_id=channel_id)
            ids.append(contact.id or 0)
    flow_id = client.post("/api/v1/flows", json={"name": "Hi", "definition": SIMPLE}, headers=marketer).json()["id"]
    client.post(f"/api/v1/flows/{flow_id}/publish", headers=marketer)
    for contact_id in ids:
        client.post(f"/api/v1/flows/{flow_id}/runs", json={"contact_id": contact_id}, headers=marketer)
    assert len(client.get(f"/api/v1/flows/{flow_id}/runs", headers=marketer).json()) == 2
    seen = client.get(f"/api/v1/flows/{flow_id}/runs", headers=agent).json()
    assert [run["contact_id"] for run in seen] == [ids[0]]
    # an agent starts only a published manual flow
    assert client.post(f"/api/v1/flows/{flow_id}/runs", json={"contact_id": ids[0]}, headers=agent).status_code == 403


def test_the_published_json_schema_is_current() -> None:
    from pathlib import Path

    from flows.journeys.schema import render

    assert (Path(__file__).parents[2] / "docs" / "flow.schema.json").read_text(encoding="utf-8") == render()
