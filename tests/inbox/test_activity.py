"""A conversation's history over HTTP: who or what assigned, tagged, resolved or reopened it, and where each
tag on a conversation or contact came from (a rule by name, the classifier with its confidence, an agent)."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from hub.agents.models import TeamMember, User
from hub.conversations.models import Conversation
from hub.ingest.service import receive
from hub.jobs import tasks
from hub.runtime.db import session_scope, utcnow
from hub.tagging import jobs, service
from tests.factories import inbound, token_for
from tests.tagging.factories import keywords, rule


def activity(client, headers, conversation_id: int) -> list[dict]:
    answer = client.get(f"/api/v1/conversations/{conversation_id}/activity", headers=headers)
    assert answer.status_code == 200, answer.text
    return answer.json()


def brief(lines: list[dict]) -> list[tuple]:
    return [(line["kind"], line["actor"], line["tag"] or line["assignee_name"] or line["rule_name"]) for line in lines]


def test_a_rules_tag_names_the_rule_in_the_thread_the_conversation_and_the_contact(client, world):
    rule("退款", keywords("退款"), tag="退款")
    rule("VIP watch", keywords("退款"), tag="watch", target="tag_contact")
    with session_scope() as session:
        message = receive(session=session, channel_id=world.channel_a,
                          inbound=inbound("wamid.R1", "+85291110000", "我想退款"))
    assert jobs.apply_rules(message.id) == "2 tags added"
    headers = token_for(client, "a@shop.test")

    lines = activity(client, headers, message.conversation_id)
    assert [(line["kind"], line["actor"], line["rule_name"], line["tag"]) for line in lines] == [
        ("tagged", "rule", "退款", "退款"), ("contact_tagged", "rule", "VIP watch", "watch")]
    item = client.get(f"/api/v1/conversations/{message.conversation_id}", headers=headers).json()
    assert [(t["name"], t["source"], t["rule_name"]) for t in item["tag_details"]] == [("退款", "rule", "退款")]
    listed = client.get("/api/v1/conversations", params={"tag": "退款"}, headers=headers).json()["items"]
    assert listed[0]["tag_details"][0]["rule_name"] == "退款"
    contact = client.get(f"/api/v1/contacts/{world.contact_a}", headers=headers).json()
    assert [(t["name"], t["source"], t["rule_name"]) for t in contact["tag_details"]] == [
        ("watch", "rule", "VIP watch")]


def test_a_classifier_tag_carries_its_confidence(client, world):
    with session_scope() as session:
        tag_id = service.tag_ids(session, ["refund"])["refund"]
        service.tag_conversation(session=session, conversation_id=world.conversation_a, taggings=[
            service.Tagging("refund", tag_id, "model:v3", {"confidence": 0.9312, "message_id": world.message_a})])
    headers = token_for(client, "a@shop.test")
    detail = client.get(f"/api/v1/conversations/{world.conversation_a}", headers=headers).json()["tag_details"]
    assert [(t["source"], t["confidence"]) for t in detail] == [("classifier", 0.9312)]
    assert [(line["actor"], line["confidence"]) for line in activity(client, headers, world.conversation_a)] == [
        ("classifier", 0.9312)]


def test_agents_assigning_tagging_resolving_and_the_customer_reopening_are_all_in_the_history(client, world):
    headers = token_for(client, "a@shop.test")
    with session_scope() as session:
        colleague = User(email="c@shop.test", name="Kit", role="agent", password_hash="x")
        session.add(colleague)
        session.flush()
        session.add(TeamMember(team_id=world.team_a, user_id=colleague.id))
        colleague_id = colleague.id
    cid = world.conversation_a
    assert client.post(f"/api/v1/conversations/{cid}/assign", json={"assignee_id": world.agent_a},
                       headers=headers).status_code == 200
    assert client.post(f"/api/v1/conversations/{cid}/assign", json={"assignee_id": colleague_id},
                       headers=headers).status_code == 200
    tagged = client.post(f"/api/v1/conversations/{cid}/tags/VIP", headers=headers).json()
    assert tagged["tag_details"][0]["source"] == "agent"
    assert tagged["tag_details"][0]["agent_id"] == world.agent_a
    client.delete(f"/api/v1/conversations/{cid}/tags/VIP", headers=headers)
    client.post(f"/api/v1/conversations/{cid}/status", json={"status": "resolved"}, headers=headers)
    with session_scope() as session:
        receive(session=session, channel_id=world.channel_a, inbound=inbound("wamid.again", "+85291110000", "還在嗎？"))

    lines = activity(client, headers, cid)
    assert [(line["kind"], line["actor"]) for line in lines] == [
        ("assigned", "agent"), ("reassigned", "agent"), ("tagged", "agent"), ("untagged", "agent"),
        ("resolved", "agent"), ("reopened", "customer")]
    with session_scope() as session:
        me = session.exec(select(User.name).where(User.id == world.agent_a)).one()
    assert {line["agent_name"] for line in lines[:5]} == {me}
    assert lines[1]["assignee_name"] == "Kit"


def test_another_teams_activity_is_not_found(client, world):
    headers = token_for(client, "a@shop.test")
    assert client.get(f"/api/v1/conversations/{world.conversation_b}/activity", headers=headers).status_code == 404
    with session_scope() as session:
        assert session.get(Conversation, world.conversation_b) is not None


def test_a_snooze_ending_reopens_with_a_line_that_says_so(client, world):
    with session_scope() as session:
        conversation = session.get(Conversation, world.conversation_a)
        conversation.status, conversation.snoozed_until = "snoozed", utcnow() - timedelta(minutes=1)
        session.add(conversation)
    assert tasks.sweep()["woken"] == 1
    lines = activity(client, token_for(client, "a@shop.test"), world.conversation_a)
    assert [(line["kind"], line["actor"], line["reason"]) for line in lines] == [
        ("reopened", "system", "the snooze ended")]
