"""Canned replies: who sees and edits which, and placeholders filled in a sandbox."""

from __future__ import annotations

import pytest

from hub.conversations.actions import ActionRefused
from hub.conversations.canned import first_and_last, render
from tests.factories import token_for


def test_an_agent_keeps_replies_for_their_team_and_fills_them_in(client, world):
    a = token_for(client, "a@shop.test")
    made = client.post("/api/v1/canned-replies", headers=a, json={
        "shortcut": "thanks", "title": "Thank you",
        "text": "{{contact.first_name}}様、ありがとうございます。{{agent.name}} / {{contact.fields.member_no}}"})
    assert made.status_code == 201, made.text
    reply = made.json()
    assert reply["team_id"] == world.team_a
    listed = client.get("/api/v1/canned-replies", headers=a).json()
    assert [r["shortcut"] for r in listed] == ["thanks"]  # team B's reply is not listed
    assert [r["shortcut"] for r in client.get("/api/v1/canned-replies", params={"q": "ありがとう"},
                                              headers=a).json()] == ["thanks"]
    filled = client.post(f"/api/v1/canned-replies/{reply['id']}/render", headers=a,
                         json={"conversation_id": world.conversation_a})
    assert filled.status_code == 200, filled.text
    assert filled.json()["text"] == "陳大文様、ありがとうございます。a / "  # a missing field is left empty
    assert client.post(f"/api/v1/canned-replies/{reply['id']}/render", headers=a,
                       json={"conversation_id": world.conversation_b}).status_code == 404
    changed = client.patch(f"/api/v1/canned-replies/{reply['id']}", headers=a, json={"text": "Hi {{ contact.name }}"})
    assert changed.status_code == 200 and changed.json()["text"] == "Hi {{ contact.name }}"
    assert client.delete(f"/api/v1/canned-replies/{reply['id']}", headers=a).status_code == 204
    assert client.get(f"/api/v1/canned-replies/{reply['id']}", headers=a).status_code == 404


def test_shared_replies_are_for_admins_to_write_and_everyone_to_use(client, world):
    admin = token_for(client, "boss@shop.test")
    shared = client.post("/api/v1/canned-replies", headers=admin, json={"shortcut": "hours", "text": "10:00–19:00"})
    assert shared.status_code == 201 and shared.json()["team_id"] is None
    a = token_for(client, "a@shop.test")
    assert "hours" in [r["shortcut"] for r in client.get("/api/v1/canned-replies", headers=a).json()]
    assert client.patch(f"/api/v1/canned-replies/{shared.json()['id']}", headers=a,
                        json={"text": "closed"}).status_code == 403
    assert client.post("/api/v1/canned-replies", headers=a, json={"shortcut": "x", "text": "y",
                                                                   "team_id": world.team_b}).status_code == 422
    taken = client.post("/api/v1/canned-replies", headers=admin, json={"shortcut": "hours", "text": "again"})
    assert taken.status_code == 409
    marketer = token_for(client, "ads@shop.test")
    assert client.post("/api/v1/canned-replies", headers=marketer, json={"shortcut": "m", "text": "m"}
                       ).status_code == 403


def test_bad_shortcuts_and_broken_placeholders_are_refused(client, world):
    a = token_for(client, "a@shop.test")
    assert client.post("/api/v1/canned-replies", headers=a, json={"shortcut": "two words", "text": "x"}
                       ).status_code == 422
    broken = client.post("/api/v1/canned-replies", headers=a, json={"shortcut": "oops", "text": "Hi {{contact."})
    assert broken.status_code == 422 and "placeholder" in broken.json()["detail"]


def test_placeholders_cannot_reach_python_and_missing_values_are_empty():
    context = {"contact": {"first_name": "Emily", "fields": {}}, "agent": {"name": "Sam"}, "shop": {"name": "Shop"}}
    assert render("{{contact.first_name}} {{contact.nope}} {{contact.fields.size.deeper}}!", context) == "Emily  !"
    assert render("{{ ''.__class__.__mro__ }}{{ contact.__class__.__init__.__globals__ }}", context) == ""
    with pytest.raises(ActionRefused, match="could not be filled"):
        render("{{ range(10**9)|list }}", context)


def test_placeholders_are_values_only(client, world):
    a = token_for(client, "a@shop.test")
    for text in ("{{ 'x' * 10**9 }}", "{% for i in range(9) %}x{% endfor %}", "{{ contact.name.upper() }}",
                 "{{ contact.name|attr('x') }}"):
        answer = client.post("/api/v1/canned-replies", headers=a, json={"shortcut": "bad", "text": text})
        assert answer.status_code == 422 and "only name values" in answer.json()["detail"], text
    text = "{{ contact.first_name|default('お客様') }} {{ shop.name|upper }}"
    fine = client.post("/api/v1/canned-replies", headers=a, json={"shortcut": "ok", "text": text})
    assert fine.status_code == 201, fine.text


def test_first_names_come_from_fields_or_a_spaced_name():
    assert first_and_last("Emily Clark", {}) == ("Emily", "Clark")
    assert first_and_last("陳大文", {}) == ("陳大文", "")
    assert first_and_last("鈴木 花子", {"first_name": "花子", "last_name": "鈴木"}) == ("花子", "鈴木")
