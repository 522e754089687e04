"""The demo's rules and hours: the Japanese refund request in the demo inbox is tagged `refund`."""

from sqlmodel import select

from hub.runtime.db import session_scope
from hub.tagging import demo
from hub.tagging.models import BusinessHours, TagRule
from tests.factories import make_channel
from tests.tagging.factories import conversation_tags, install_model, write


def test_the_demo_tags_the_japanese_refund_request_and_loads_once(backend, trained_model):
    install_model(trained_model)
    channel = make_channel("whatsapp_twilio", "WhatsApp (Twilio) JP")
    _, conversation_id, _ = write(channel.id, "注文した商品を返品したいです。返金はいつになりますか？", locale="ja")
    with session_scope() as session:
        assert demo.load(session) >= 1
    tags = conversation_tags(conversation_id)
    assert tags["refund"].startswith("rule:") and tags["refund"].endswith(" refund")
    with session_scope() as session:
        assert demo.load(session) == 0
        assert len(session.exec(select(TagRule)).all()) == len(demo.RULES)
        assert session.get(BusinessHours, 1).timezone == "Asia/Hong_Kong"


def test_the_whole_demo_tags_the_japanese_refund_request_and_routes_it_to_the_japanese_speaking_agent(
        backend, trained_model):
    from hub import demo as hub_demo
    from hub.agents.models import User
    from hub.contacts.models import Contact
    from hub.conversations.models import Conversation

    install_model(trained_model)
    assert hub_demo.load() is True
    with session_scope() as session:
        contact = session.exec(select(Contact).where(Contact.name == "山田太郎")).one()
        conversation = session.exec(select(Conversation).where(Conversation.contact_id == contact.id)).one()
        assignee = session.get(User, conversation.assignee_id)
        assert assignee is not None and assignee.email == "yuki@hub.local"
    assert conversation_tags(conversation.id)["refund"].startswith("rule:")
