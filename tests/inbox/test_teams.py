"""A conversation belongs to the team of its channel unless it was handed to another team: the `team_id`
filter, access and the assignment queue all follow that one rule (issue 13 item 8b)."""

from __future__ import annotations

from hub.assignment import service as assignment
from hub.assignment.models import AssignmentPolicy
from hub.conversations.models import Conversation
from hub.runtime.db import session_scope
from tests.factories import token_for


def team_filter(client, headers, team_id: int) -> set[int]:
    """The conversations the API's and the inbox's team filter give (always the same)."""
    found = []
    for route in ("/api/v1/conversations", "/api/v1/inbox/conversations"):
        answer = client.get(route, params={"team_id": team_id}, headers=headers)
        assert answer.status_code == 200, answer.text
        found.append({row["id"] for row in answer.json()["items"]})
    assert found[0] == found[1]
    return found[0]


def hand_over(conversation_id: int, team_id: int) -> None:
    with session_scope() as session:
        conversation = session.get(Conversation, conversation_id)
        conversation.team_id = team_id
        session.add(conversation)


def test_each_team_finds_its_channels_conversations(client, world):
    boss = token_for(client, "boss@shop.test")
    assert team_filter(client, boss, world.team_a) == {world.conversation_a}
    assert team_filter(client, boss, world.team_b) == {world.conversation_b}


def test_a_conversation_handed_to_another_team_moves_in_the_filter_and_in_access(client, world):
    hand_over(world.conversation_a, world.team_b)
    boss = token_for(client, "boss@shop.test")
    assert team_filter(client, boss, world.team_a) == set()
    assert team_filter(client, boss, world.team_b) == {world.conversation_a, world.conversation_b}
    agent_a, agent_b = token_for(client, "a@shop.test"), token_for(client, "b@shop.test")
    assert client.get(f"/api/v1/conversations/{world.conversation_a}", headers=agent_a).status_code == 404
    assert client.get(f"/api/v1/conversations/{world.conversation_a}", headers=agent_b).status_code == 200


def test_the_assignment_queue_uses_the_same_rule(world):
    with session_scope() as session:
        session.add(AssignmentPolicy(team_id=world.team_b, kind="round_robin"))
    with session_scope() as session:
        assert {cid for cid, _ in assignment.waiting(session=session)} == {world.conversation_b}
    hand_over(world.conversation_a, world.team_b)
    with session_scope() as session:
        assert {cid for cid, _ in assignment.waiting(session=session)} == {world.conversation_a, world.conversation_b}


def test_an_agent_hands_a_conversation_to_another_team_and_the_thread_says_so(client, world):
    agent_a = token_for(client, "a@shop.test")
    answer = client.post(f"/api/v1/conversations/{world.conversation_a}/team", json={"team_id": world.team_b},
                         headers=agent_a)
    assert answer.status_code == 200, answer.text
    assert answer.json()["team_id"] == world.team_b
    boss = token_for(client, "boss@shop.test")
    assert team_filter(client, boss, world.team_b) == {world.conversation_a, world.conversation_b}
    assert client.get(f"/api/v1/conversations/{world.conversation_a}", headers=agent_a).status_code == 404
    lines = client.get(f"/api/v1/conversations/{world.conversation_a}/activity", headers=boss).json()
    assert [(line["kind"], line["team_name"], line["agent_id"]) for line in lines] == [
        ("team_changed", "B", world.agent_a)]
    back = client.post(f"/api/v1/conversations/{world.conversation_a}/team", json={"team_id": None}, headers=boss)
    assert back.json()["team_id"] is None
    assert team_filter(client, boss, world.team_a) == {world.conversation_a}
    assert client.post(f"/api/v1/conversations/{world.conversation_a}/team", json={"team_id": 9999},
                       headers=boss).status_code == 422
