"""The demo routes Japanese messages to Yuki and the Hong Kong ones to Mei and Sam."""

from sqlmodel import select

from hub import demo
from hub.agents.models import User
from hub.assignment import demo as assignment_demo
from hub.conversations.models import Conversation, Message
from hub.runtime.db import session_scope


def test_the_demo_sends_japanese_to_the_agent_who_reads_it(backend):
    demo.load()  # hub demo sets the agents' languages and skill policies and assigns what is waiting
    with session_scope() as session:
        assert assignment_demo.load(session) == 0  # a second run changes nothing
    with session_scope() as session:
        names = {u.id: u.email.split("@")[0] for u in session.exec(select(User))}
        first_text = {}
        for conversation in session.exec(select(Conversation)):
            message = session.exec(select(Message).where(Message.conversation_id == conversation.id)
                                   .order_by(Message.id)).first()
            first_text[message.text] = names[conversation.assignee_id]
    assert first_text["注文した商品を返品したいです。返金はいつになりますか？"] == "yuki"
    assert first_text["このジャケットのMサイズは在庫ありますか"] == "yuki"
    assert first_text["你好，我想問 A123 波鞋有冇 42 號？"] == "mei"
    assert first_text["我嘅訂單 #1042 到咗未？"] == "mei"
    assert first_text["Hi! Is the linen shirt available in blue?"] == "sam"
