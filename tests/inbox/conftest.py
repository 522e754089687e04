"""Two teams with a conversation each, agents, a failed reply and a canned reply on team B's side."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient

from hub.composition import create_app
from hub.conversations.canned_models import CannedReply
from hub.conversations.models import Conversation, Message
from hub.ingest.service import receive
from hub.runtime.db import session_scope, utcnow
from tests.factories import inbound, make_channel, make_team, make_user


@dataclass
class World:
    team_a: int
    team_b: int
    channel_a: int
    channel_b: int
    conversation_a: int
    conversation_b: int
    contact_a: int
    contact_b: int
    message_a: int
    message_b: int
    failed_b: int
    canned_b: int
    agent_a: int
    agent_b: int




@pytest.fixture
def client(backend):
    with TestClient(create_app()) as test_client:
        yield test_client


@pytest.fixture
def world(backend) -> World:
    team_a, team_b = make_team("A"), make_team("B")
    channel_a = make_channel("whatsapp_meta", "WA", team_ids=[team_a])
    channel_b = make_channel("sms_twilio", "SMS", team_ids=[team_b])
    agent_a = make_user("a@shop.test", team_ids=[team_a])
    agent_b = make_user("b@shop.test", team_ids=[team_b])
    make_user("boss@shop.test", role="admin")
    make_user("ads@shop.test", role="marketer")
    with session_scope() as session:
        wa = receive(session=session, channel_id=channel_a.id,
                     inbound=inbound("wamid.A", "+85291110000", "想退貨，請問點做？"))
        sm = receive(session=session, channel_id=channel_b.id, inbound=inbound("SM.B", "+14155550000",
                                                                              "Where is my order?", "Emily Clark"))
        b = session.get(Conversation, sm.conversation_id)
        failed = Message(conversation_id=b.id, channel_id=b.channel_id, direction="outbound", text="sorry",
                         status="failed", error_code="21211", error_reason="invalid number", failed_at=utcnow(),
                         author_id=agent_b.id)
        canned = CannedReply(shortcut="b-only", text="Hi {{contact.first_name}}", team_id=team_b)
        session.add_all([failed, canned])
        session.flush()
        return World(team_a=team_a, team_b=team_b, channel_a=channel_a.id, channel_b=channel_b.id,
                     conversation_a=wa.conversation_id, conversation_b=sm.conversation_id,
                     contact_a=session.get(Conversation, wa.conversation_id).contact_id, contact_b=b.contact_id,
                     message_a=wa.id, message_b=sm.id, failed_b=failed.id, canned_b=canned.id,
                     agent_a=agent_a.id, agent_b=agent_b.id)
