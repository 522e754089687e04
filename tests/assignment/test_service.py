"""Each policy through the service on a real database: who gets the conversation, and the trail it leaves."""

from datetime import UTC, datetime

from sqlmodel import select

from hub.agents.models import User
from hub.assignment import jobs, service
from hub.assignment.models import AgentProfile, ConversationAssignment
from hub.audit.models import AuditEntry
from hub.conversations import activity
from hub.runtime import events
from hub.runtime.db import session_scope
from hub.tags.models import ConversationTag, Tag
from tests.assignment.factories import (
    arrive,
    assignee,
    desk,
    policy,
    profile,
    records,
    resolve,
    set_online,
    team_policy,
)
from tests.factories import make_channel, make_team, make_user


def assign(conversation_id: int, now: datetime | None = None) -> service.Outcome:
    with session_scope() as session:
        return service.assign(session=session, conversation_id=conversation_id, now=now)


def test_least_loaded_leaves_a_record_an_audit_entry_and_an_event(backend):
    team = desk(["ann", "bob"])
    policy("least_loaded", team_id=team.team_id)
    seen: list[events.Event] = []
    events.subscribe(events.CONVERSATION_UPDATED, seen.append)
    first, second, third = (arrive(team.channel_id) for _ in range(3))
    outcomes = [assign(c) for c in (first, second, third)]
    assert [o.assignee_id for o in outcomes] == [team.agents["ann"], team.agents["bob"], team.agents["ann"]]
    assert [(e.data["conversation_id"], e.data["assignee_id"], e.data["source"]) for e in seen] == [
        (first, team.agents["ann"], "policy:least_loaded"), (second, team.agents["bob"], "policy:least_loaded"),
        (third, team.agents["ann"], "policy:least_loaded")]
    (record,) = records(first)
    assert (record.assignee_id, record.policy) == (team.agents["ann"], "least_loaded")
    assert "fewest open conversations" in record.reason
    with session_scope() as session:
        entries = session.exec(select(AuditEntry).where(AuditEntry.action == "conversation.assigned")).all()
        assert [(e.target_id, e.details["source"]) for e in entries][0] == (str(first), "policy:least_loaded")
        assert session.get(ConversationAssignment, first).assignment_source == "policy:least_loaded"
    assert assign(first).status == "skipped"  # a second run changes nothing
    assert len(records(first)) == 1


def test_without_a_policy_nothing_is_assigned(backend):
    team = desk(["ann"])
    conversation = arrive(team.channel_id)
    outcome = assign(conversation)
    assert outcome.status == "skipped" and "no assignment policy" in outcome.reason
    assert assignee(conversation) is None


def test_round_robin_takes_turns(backend):
    team = desk(["ann", "bob", "cy"])
    policy("round_robin", team_id=team.team_id)
    got = [assign(arrive(team.channel_id)).assignee_id for _ in range(5)]
    ann, bob, cy = team.agents["ann"], team.agents["bob"], team.agents["cy"]
    assert got == [ann, bob, cy, ann, bob]


def test_a_channel_policy_wins_over_its_teams(backend):
    team = desk(["ann", "bob"])
    policy("least_loaded", team_id=team.team_id)
    policy("sticky", channel_id=team.channel_id)
    assert assign(arrive(team.channel_id)).policy == "sticky"


def test_sticky_brings_a_returning_customer_back_to_their_agent_on_any_channel(backend):
    team = desk(["ann", "bob"])
    whatsapp = make_channel("whatsapp_meta", "WA", team_ids=[team.team_id])
    policy("sticky", team_id=team.team_id)
    first = arrive(team.channel_id, phone="+85291110000")
    assert assign(first).assignee_id == team.agents["ann"]
    resolve(first)
    for _ in range(2):  # bob now has fewer open conversations than ann
        assign(arrive(team.channel_id))
    again = arrive(whatsapp.id, phone="+85291110000")  # same customer, another channel
    outcome = assign(again)
    assert outcome.assignee_id == team.agents["ann"] and "served this customer last" in outcome.reason


def test_skill_sends_japanese_to_the_agent_who_reads_it_and_tags_to_skills(backend):
    team = desk(["mei", "yuki", "sam"])
    policy("skill", team_id=team.team_id)
    profile(team.agents["mei"], languages=["zh", "en"])
    profile(team.agents["yuki"], languages=["ja"])
    profile(team.agents["sam"], languages=["en"], skills=["refund"])
    japanese = assign(arrive(team.channel_id, "注文した商品を返品したいです。返金はいつになりますか？"))
    assert japanese.assignee_id == team.agents["yuki"] and "reads Japanese" in japanese.reason
    assert assign(arrive(team.channel_id, "我嘅訂單 #1042 到咗未？")).assignee_id == team.agents["mei"]
    tagged = arrive(team.channel_id, "I want my money back")
    with session_scope() as session:
        tag = Tag(name="Refund")
        session.add(tag)
        session.flush()
        session.add(ConversationTag(conversation_id=tagged, tag_id=tag.id or 0, source="rule"))
    outcome = assign(tagged)
    assert outcome.assignee_id == team.agents["sam"] and "skill 'Refund'" in outcome.reason


def test_an_agent_without_languages_reads_their_locale(backend):
    team = desk(["ken", "eve"], kind="telegram")
    with session_scope() as session:
        session.get(User, team.agents["ken"]).locale = "ja"
    policy("skill", team_id=team.team_id)
    japanese = arrive(team.channel_id, "このジャケットのMサイズは在庫ありますか")
    assert assign(japanese).assignee_id == team.agents["ken"]


def test_only_agents_inside_their_teams_business_hours_are_picked(backend):
    tokyo, london = make_team("Tokyo"), make_team("London")
    channel = make_channel("whatsapp_meta", "Global", team_ids=[tokyo, london])
    yuki = make_user("yuki@shop.test", team_ids=[tokyo])
    lily = make_user("lily@shop.test", team_ids=[london])
    set_online(yuki.id, lily.id)
    weekdays = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
    team_policy(tokyo, timezone="Asia/Tokyo", weekly_hours=weekdays)
    team_policy(london, timezone="Europe/London", weekly_hours=weekdays)
    policy("least_loaded", channel_id=channel.id)
    conversation = arrive(channel.id or 0)
    sunday = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    waiting = assign(conversation, now=sunday)
    assert waiting.status == "waiting" and "outside its business hours" in waiting.reason
    assert waiting.nobody_available
    tokyo_morning = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)  # 10:00 in Tokyo, 01:00 in London
    assert assign(conversation, now=tokyo_morning).assignee_id == yuki.id
    london_morning = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # 19:00 in Tokyo, 10:00 in London
    assert assign(arrive(channel.id or 0), now=london_morning).assignee_id == lily.id


def test_the_listeners_enqueue_an_assignment_when_a_conversation_opens(backend):
    from hub import composition
    from hub.runtime import broker

    composition.wire()  # what the app and the worker do at start
    team = desk(["ann"])
    policy("least_loaded", team_id=team.team_id)
    conversation = arrive(team.channel_id)
    queued = [job for job in broker.queue("inbound").get_jobs() if job.func_name.endswith("assign_each")]
    assert [(job.func_name, job.args) for job in queued] == [("hub.assignment.jobs.assign_each", ([conversation],))]
    assert queued[0].perform() == "1 done" and assignee(conversation) == team.agents["ann"]
    assert jobs.assign(conversation) == "skipped"


def test_freed_capacity_schedules_one_queue_run_and_automation_is_ignored(backend, monkeypatch):
    from hub import composition
    from hub.runtime import broker

    composition.wire()  # what the app and the worker do at start
    monkeypatch.setattr(jobs, "_last_scheduled", 0.0)

    def queued() -> list[str]:
        return [j.func_name for j in broker.queue("inbound").get_jobs() if j.func_name.endswith("run_queue")]

    for data in ({"conversation_id": 1, "assignee_id": 2, "source": "policy:least_loaded"},
                 {"conversation_id": 1, "status": "open"}):
        events.deliver([events.Event(events.CONVERSATION_UPDATED, data)])
    assert queued() == []
    for status in ("resolved", "snoozed"):
        events.deliver([events.Event(events.CONVERSATION_UPDATED, {"conversation_id": 1, "status": status})])
    events.deliver([events.Event(events.MESSAGE_RECEIVED, {"conversation_id": 1, "message_id": 1})])
    assert queued() == ["hub.assignment.jobs.run_queue"]  # a burst shares one run
    jobs.run_queue()
    events.deliver([events.Event(events.CONVERSATION_UPDATED, {"conversation_id": 1, "source": "manual"})])
    assert len(queued()) == 2


def test_agents_seen_for_the_first_time_get_default_profiles(backend):
    team_id = make_team("New")
    channel = make_channel("telegram", "new", team_ids=[team_id])
    newcomer = make_user("new@shop.test", team_ids=[team_id])
    set_online(newcomer.id)
    policy("least_loaded", team_id=team_id)
    assert assign(arrive(channel.id or 0)).assignee_id == newcomer.id
    with session_scope() as session:
        created = session.get(AgentProfile, newcomer.id)
        assert (created.capacity, created.skills, created.languages) == (5, [], [])


def test_an_agent_created_in_the_same_transaction_is_assigned_without_waiting_on_itself(pg_backend):
    from hub.agents import service as agents
    from hub.agents.models import TeamMember

    team_id = make_team("Same")
    channel = make_channel("telegram", "same", team_ids=[team_id])
    policy("least_loaded", team_id=team_id)
    conversation = arrive(channel.id or 0)
    with session_scope() as session:
        user = agents.create_user(session=session, email="fresh@shop.test", password="password-123", role="agent")
        user.online = True
        session.add(TeamMember(team_id=team_id, user_id=user.id))
        session.flush()
        assert service.assign(session=session, conversation_id=conversation).assignee_id == user.id


def test_a_policys_assignment_and_hand_on_are_activity_lines_with_the_reason(backend):
    team = desk(["ann", "bob"])
    policy("round_robin", team_id=team.team_id)
    first = arrive(team.channel_id)
    assert assign(first).assignee_id == team.agents["ann"]
    set_online(team.agents["ann"], online=False)
    with session_scope() as session:
        assert service.hand_on(session=session, conversation_id=first, because="offline").status == "assigned"
        lines = activity.lines(session, conversation_id=first)
    assert [(line.kind, line.actor, line.policy, line.assignee_id) for line in lines] == [
        ("assigned", "policy", "round_robin", team.agents["ann"]),
        ("reassigned", "policy", "round_robin", team.agents["bob"])]
    assert "went offline" in (lines[1].reason or "")
