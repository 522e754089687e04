"""Conversations move on when an agent goes offline or misses the deadline; a person's choice stays;
the queue drains as capacity frees."""

from datetime import timedelta

from hub.agents.models import User
from hub.assignment import jobs, service
from hub.conversations import outbound
from hub.conversations.models import Conversation
from hub.runtime.db import session_scope, utcnow
from tests.assignment.factories import (
    arrive,
    assignee,
    desk,
    loads,
    policy,
    profile,
    records,
    resolve,
    set_online,
    team_policy,
)


def go(user_id: int, online: bool) -> int:
    with session_scope() as session:
        user = session.get(User, user_id)
        service.set_presence(session=session, user=user, online=online)
    return jobs.release_agent(user_id) if not online else jobs.run_queue()


def test_an_agent_going_offline_hands_their_conversations_on(backend):
    team = desk(["ann", "bob"])
    ann, bob = team.agents["ann"], team.agents["bob"]
    policy("least_loaded", team_id=team.team_id)
    first, second = arrive(team.channel_id), arrive(team.channel_id)
    jobs.run_queue()
    assert (assignee(first), assignee(second)) == (ann, bob)
    assert go(ann, online=False) == 1
    assert assignee(first) == bob
    last = records(first)[-1]
    assert last.assignee_id == bob and last.reason.startswith("ann went offline; least loaded")
    assert go(bob, online=False) == 2  # nobody left: both back in the queue
    assert (assignee(first), assignee(second)) == (None, None)
    assert "back in the queue" in records(second)[-1].reason
    assert go(ann, online=True) == 2  # coming online runs the queue
    assert loads() == {ann: 2}


def test_the_sweep_catches_an_agent_who_went_offline_without_the_api(backend):
    team = desk(["ann", "bob"])
    policy("round_robin", team_id=team.team_id)
    conversation = arrive(team.channel_id)
    jobs.assign(conversation)
    set_online(team.agents["ann"], online=False)  # e.g. a session that timed out
    assert jobs.sweep()["offline"] == 1
    assert assignee(conversation) == team.agents["bob"]


def test_missing_the_first_response_deadline_hands_the_conversation_on(backend):
    team = desk(["ann", "bob"])
    ann, bob = team.agents["ann"], team.agents["bob"]
    policy("least_loaded", team_id=team.team_id)
    team_policy(team.team_id, first_response_minutes=15)
    late, answered = arrive(team.channel_id), arrive(team.channel_id)
    jobs.assign(late)
    jobs.assign(answered)
    with session_scope() as session:
        conversation = session.get(Conversation, answered)
        outbound.queue_reply(session=session, conversation=conversation, author_id=bob, text="On it!")
        assert service.overdue(session=session, now=utcnow() + timedelta(minutes=14)) == []
    with session_scope() as session:
        later = utcnow() + timedelta(minutes=16)
        assert service.overdue(session=session, now=later) == [late]
        assert service.hand_on(session=session, conversation_id=late, because="deadline").status == "skipped"
        outcome = service.hand_on(session=session, conversation_id=late, because="deadline", now=later)
    assert outcome.assignee_id == bob and assignee(late) == bob
    assert records(late)[-1].reason.startswith("ann did not reply within 15 minutes")
    with session_scope() as session:  # the new holder's clock starts now; the answered one is no longer checked
        assert service.overdue(session=session, now=later + timedelta(minutes=10)) == []
        later += timedelta(minutes=16)
        assert service.overdue(session=session, now=later) == [late]
        outcome = service.hand_on(session=session, conversation_id=late, because="deadline", now=later)
    assert outcome.assignee_id == ann


def test_a_late_conversation_stays_when_nobody_else_can_take_it(backend):
    team = desk(["ann"])
    policy("least_loaded", team_id=team.team_id)
    team_policy(team.team_id, first_response_minutes=5)
    conversation = arrive(team.channel_id)
    jobs.assign(conversation)
    with session_scope() as session:
        later = utcnow() + timedelta(minutes=6)
        assert service.overdue(session=session, now=later) == [conversation]
        outcome = service.hand_on(session=session, conversation_id=conversation, because="deadline", now=later)
    assert outcome.status == "waiting" and assignee(conversation) == team.agents["ann"]


def test_a_manual_assignment_is_never_moved_by_a_policy(backend):
    team = desk(["ann", "bob"])
    ann, bob = team.agents["ann"], team.agents["bob"]
    policy("least_loaded", team_id=team.team_id)
    team_policy(team.team_id, first_response_minutes=1)
    conversation = arrive(team.channel_id)
    jobs.assign(conversation)
    with session_scope() as session:
        boss = session.get(User, bob)
        service.assign_manually(session=session, conversation=session.get(Conversation, conversation),
                                assignee_id=ann, actor=boss)
    go(ann, online=False)
    with session_scope() as session:
        assert service.overdue(session=session, now=utcnow() + timedelta(hours=1)) == []
        assert service.hand_on(session=session, conversation_id=conversation, because="offline").status == "skipped"
    jobs.sweep()
    assert assignee(conversation) == ann
    assert [(r.policy, r.reason) for r in records(conversation)][-1] == ("manual", "assigned by bob")
    with session_scope() as session:  # a person unassigning puts it back in the queue
        service.assign_manually(session=session, conversation=session.get(Conversation, conversation),
                                assignee_id=None, actor=session.get(User, bob))
    jobs.run_queue()
    assert assignee(conversation) == bob


def test_the_queue_drains_as_capacity_frees(backend):
    team = desk(["ann", "bob"], capacity=1)
    policy("least_loaded", team_id=team.team_id)
    conversations = [arrive(team.channel_id) for _ in range(4)]
    assert jobs.run_queue() == 2 and jobs.run_queue() == 0
    assert [assignee(c) is not None for c in conversations] == [True, True, False, False]
    resolve(conversations[0])
    assert jobs.run_queue() == 1
    assert assignee(conversations[2]) == assignee(conversations[0])
    profile(team.agents["bob"], capacity=2)
    assert jobs.run_queue() == 1
    assert all(assignee(c) is not None for c in conversations)
    assert all(len(records(c)) == 1 for c in conversations)


def test_an_agent_back_online_before_the_hand_on_keeps_the_conversation(backend):
    team = desk(["ann", "bob"])
    policy("least_loaded", team_id=team.team_id)
    conversation = arrive(team.channel_id)
    jobs.assign(conversation)
    set_online(team.agents["ann"], online=False)
    with session_scope() as session:
        assert service.stranded(session=session) == [conversation]
    set_online(team.agents["ann"])
    with session_scope() as session:
        outcome = service.hand_on(session=session, conversation_id=conversation, because="offline")
    assert outcome.status == "skipped" and assignee(conversation) == team.agents["ann"]
