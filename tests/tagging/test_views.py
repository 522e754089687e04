"""The tagging admin API: rules, business hours and thresholds for admins only, readable 422s, audited."""

import pytest
from fastapi.testclient import TestClient
from sqlmodel import select

from hub.audit.models import AuditEntry
from hub.composition import create_app
from hub.runtime.db import session_scope
from hub.tagging import jobs
from tests.factories import make_channel, make_user, token_for
from tests.tagging.factories import conversation_tags, write

REFUND = {"name": "refund", "conditions": [{"type": "keywords", "values": ["退款", "返金", "refund"]}],
          "actions": [{"type": "tag_conversation", "tag": "refund"}]}


@pytest.fixture
def client(backend):
    make_user("boss@shop.test", role="admin")
    make_user("ann@shop.test")
    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.fixture
def admin(client):
    return token_for(client, "boss@shop.test")


def test_admins_manage_rules_and_others_get_403(client, admin):
    agent = token_for(client, "ann@shop.test")
    assert client.post("/api/v1/tag-rules", json=REFUND, headers=agent).status_code == 403
    for path in ("/api/v1/tag-rules", "/api/v1/tags", "/api/v1/business-hours"):
        assert client.get(path, headers=agent).status_code == 403, path
    assert client.patch("/api/v1/tags/refund", json={"auto_apply_threshold": 0.5}, headers=agent).status_code == 403
    created = client.post("/api/v1/tag-rules", json=REFUND, headers=admin)
    assert created.status_code == 201, created.text
    rule = created.json()
    assert rule["conditions"] == REFUND["conditions"] and rule["enabled"] and rule["match"] == "all"
    again = client.post("/api/v1/tag-rules", json=REFUND, headers=admin)
    assert again.status_code == 409 and "another rule is called 'refund'" in again.json()["detail"]
    path = f"/api/v1/tag-rules/{rule['id']}"
    changed = client.patch(path, json={"enabled": False}, headers=admin).json()
    assert changed["enabled"] is False and changed["conditions"] == REFUND["conditions"]
    assert [r["id"] for r in client.get("/api/v1/tag-rules", headers=admin).json()] == [rule["id"]]
    assert client.delete(path, headers=admin).status_code == 204
    assert client.get(path, headers=admin).status_code == 404
    assert client.patch(path, json={"enabled": True}, headers=admin).status_code == 404
    with session_scope() as session:
        actions = [e.action for e in session.exec(select(AuditEntry).order_by(AuditEntry.id))]
    assert actions == ["tag_rule.created", "tag_rule.updated", "tag_rule.deleted"]


@pytest.mark.parametrize(("body", "says"), [
    ({"conditions": [{"type": "pattern", "value": "(退款"}]}, "pattern: '(退款' is not a valid regular expression"),
    ({"conditions": [{"type": "pattern", "value": "a" * 501}]}, "pattern: 501 characters is too long"),
    ({"conditions": [{"type": "pattern", "value": ".*"}]}, "matches an empty message"),
    ({"conditions": [{"type": "channel", "kinds": ["fax"]}]}, "channel: unknown kind 'fax'"),
    ({"conditions": [{"type": "hours", "when": "lunch"}]}, "conditions.0.hours.when: Input should be 'inside' or "),
    ({"conditions": []}, "conditions: List should have at least 1 item"),
    ({"actions": [{"type": "tag_conversation", "tag": ""}]}, "actions.0.tag: String should have at least 1"),
])
def test_a_bad_rule_gets_a_readable_422(client, admin, body, says):
    answer = client.post("/api/v1/tag-rules", json={**REFUND, **body}, headers=admin)
    assert answer.status_code == 422, answer.text
    assert says in answer.json()["detail"]


def test_a_bad_patch_changes_nothing(client, admin):
    rule = client.post("/api/v1/tag-rules", json=REFUND, headers=admin).json()
    bad = client.patch(f"/api/v1/tag-rules/{rule['id']}", json={"conditions": [{"type": "pattern", "value": "[x"}]},
                       headers=admin)
    assert bad.status_code == 422 and bad.json()["detail"].startswith("pattern: ")
    assert client.get(f"/api/v1/tag-rules/{rule['id']}", headers=admin).json()["conditions"] == REFUND["conditions"]


def test_a_rule_made_through_the_api_tags_the_next_message(client, admin):
    channel = make_channel("whatsapp_twilio")
    rule = client.post("/api/v1/tag-rules", json=REFUND, headers=admin).json()
    message_id, conversation_id, _ = write(channel.id, "注文した商品を返品したいです。返金はいつになりますか？")
    jobs.apply_rules(message_id)
    assert conversation_tags(conversation_id) == {"refund": f"rule:{rule['id']} refund"}
    tags = client.get("/api/v1/tags", headers=admin).json()
    assert [(t["name"], t["conversations"], t["auto_apply_threshold"]) for t in tags] == [("refund", 1, None)]


def test_business_hours(client, admin):
    assert client.get("/api/v1/business-hours", headers=admin).json()["weekly_hours"] is None
    body = {"timezone": "Asia/Hong_Kong", "weekly_hours": {"mon": [["10:00", "19:00"]], "sat": [["11:00", "17:00"]]}}
    saved = client.put("/api/v1/business-hours", json=body, headers=admin)
    assert saved.status_code == 200 and saved.json()["timezone"] == "Asia/Hong_Kong"
    assert saved.json()["next_opening"] is not None
    for bad, says in (({"timezone": "Hong Kong"}, "unknown time zone"), ({"weekly_hours": {"lun": []}}, "unknown day"),
                      ({"weekly_hours": {"mon": [["9am", "6pm"]]}}, "not a time of day")):
        answer = client.put("/api/v1/business-hours", json=bad, headers=admin)
        assert answer.status_code == 422 and says in answer.json()["detail"]
    assert client.get("/api/v1/business-hours", headers=admin).json()["weekly_hours"] == body["weekly_hours"]
    with session_scope() as session:
        assert [e.action for e in session.exec(select(AuditEntry))] == ["business_hours.updated"]


def test_per_tag_threshold(client, admin):
    client.post("/api/v1/tag-rules", json=REFUND, headers=admin)
    changed = client.patch("/api/v1/tags/refund", json={"auto_apply_threshold": 0.8, "color": "#dc2626"},
                           headers=admin)
    assert changed.status_code == 200 and changed.json()["auto_apply_threshold"] == 0.8
    assert client.patch("/api/v1/tags/refund", json={"auto_apply_threshold": None}, headers=admin).json()[
        "auto_apply_threshold"] is None
    assert client.get("/api/v1/tags", headers=admin).json()[0]["color"] == "#dc2626"
    too_high = client.patch("/api/v1/tags/refund", json={"auto_apply_threshold": 1.5}, headers=admin)
    assert too_high.status_code == 422 and "auto_apply_threshold" in too_high.json()["detail"]
    assert client.patch("/api/v1/tags/nothing", json={"auto_apply_threshold": 0.5}, headers=admin).status_code == 404
    with session_scope() as session:
        updated = session.exec(select(AuditEntry).where(AuditEntry.action == "tag.updated").order_by(AuditEntry.id))
        details = [e.details["after"] for e in updated]
    assert details == [{"color": "#dc2626", "auto_apply_threshold": 0.8}, {"color": "#dc2626",
                                                                          "auto_apply_threshold": None}]


def test_the_routes_are_documented(client):
    paths = client.app.openapi()["paths"]  # /openapi.json itself needs a signed-in user (tests/core/test_health.py)
    for path in ("/api/v1/tag-rules", "/api/v1/tag-rules/{rule_id}", "/api/v1/business-hours", "/api/v1/tags",
                 "/api/v1/tags/{name}", "/api/v1/conversations/{conversation_id}/tag-suggestions"):
        assert path in paths, path
