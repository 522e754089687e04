"""A busy shop's inbox for the screenshots and the keyboard test: several channels, CJK customers,
one customer on two channels, replies at every tick, a failed reply, a private note, tags and fields."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlmodel import col, select

from channels import IdentityRef, InboundMessage
from hub.agents.models import User
from hub.contacts.models import Contact
from hub.contacts.service import record_consent
from hub.conversations import actions
from hub.conversations.canned_models import CannedReply
from hub.conversations.models import Conversation, Message
from hub.ingest.service import receive
from hub.runtime.db import session_scope, utcnow
from tests.factories import make_channel, make_team, make_user


@dataclass
class Scene:
    agent: User
    main: int
    closed: int


def _inbound(session, channel_id: int, key: str, phone: IdentityRef, name: str, text: str, ago: timedelta,
             ) -> Message:
    message = receive(session=session, channel_id=channel_id, inbound=InboundMessage(
        provider_message_id=key, identities=(phone,), kind="text", text=text, sent_at=utcnow() - ago,
        profile_name=name))
    assert message is not None
    message.created_at = utcnow() - ago
    session.add(message)
    return message


def _reply(session, conversation: Conversation, agent: User, text: str, status: str, ago: timedelta,
           **extra: object) -> None:
    session.add(Message(conversation_id=conversation.id, channel_id=conversation.channel_id, direction="outbound",
                        text=text, status=status, author_id=agent.id, provider_message_id=f"out-{text[:8]}",
                        created_at=utcnow() - ago, **extra))
    session.flush()


def build() -> Scene:
    team = make_team("Hong Kong")
    whatsapp = make_channel("whatsapp_meta", "WhatsApp HK", team_ids=[team]).id
    sms = make_channel("sms_twilio", "SMS HK", team_ids=[team]).id
    telegram = make_channel("telegram", "Telegram bot", team_ids=[team]).id
    agent = make_user("sam@shop.test", team_ids=[team])
    with session_scope() as session:
        row = session.get(User, agent.id)
        row.name = "Sam Taylor"
        session.add(row)
        chan = IdentityRef("phone", "+85291234567")
        first = _inbound(session, whatsapp, "w1", chan, "陳大文", "你好，我想問 A123 波鞋有冇 42 號？",
                         timedelta(hours=3))
        main = session.get(Conversation, first.conversation_id)
        _reply(session, main, agent, "有呀！42 號仲有兩對，要唔要幫你留？", "read", timedelta(minutes=170))
        _inbound(session, whatsapp, "w2", chan, "陳大文", "好呀，幾時可以送到沙田？", timedelta(hours=2))
        _reply(session, main, agent, "聽日下晝 2 點至 6 點送到 🙂", "delivered", timedelta(minutes=110))
        _reply(session, main, agent, "付款連結：https://pay.example/abc", "failed", timedelta(minutes=100),
               error_code="131047",
               error_reason="Re-engagement message: more than 24 hours since the customer last replied")
        note = actions.add_note(session=session, conversation=main, author_id=agent.id,
                                text="VIP 客人，上次退貨好快處理咗。記得送貨前 WhatsApp 通知。")
        note.created_at = utcnow() - timedelta(minutes=90)
        _inbound(session, sms, "s1", chan, "陳大文", "我嘅訂單 #1042 到咗未？", timedelta(minutes=40))
        _reply(session, main, agent, "訂單 #1042 已經出貨，今晚會到。", "sent", timedelta(minutes=35))
        main.assignee_id = agent.id
        session.add(main)
        for tag in ("VIP", "退貨"):
            actions.add_tag(session=session, conversation=main, name=tag)
        contact = session.get(Contact, main.contact_id)
        contact.custom_fields = {"member_no": "HK-20931", "tier": "Gold", "shoe_size": 42}
        contact.locale = "zh-HK"
        session.add(contact)
        record_consent(session=session, contact_id=contact.id, channel_id=whatsapp, status="opted_in",
                       source="web checkout form")
        record_consent(session=session, contact_id=contact.id, channel_id=sms, status="opted_out",
                       source="replied STOP")
        _inbound(session, telegram, "t1", IdentityRef("telegram", "700100200"), "鈴木 花子",
                 "このジャケットのMサイズは在庫ありますか", timedelta(minutes=25))
        _inbound(session, sms, "s2", IdentityRef("phone", "+14155550123"), "Emily Clark",
                 "Hi! Is the linen shirt available in blue?", timedelta(minutes=12))
        late = _inbound(session, whatsapp, "w3", IdentityRef("phone", "+819012345678"), "山田太郎",
                        "注文した商品を返品したいです。返金はいつになりますか？", timedelta(minutes=5))
        closed = session.get(Conversation, late.conversation_id)
        closed.last_inbound_at = utcnow() - timedelta(hours=30)
        session.add(closed)
        session.flush()
        for minutes, conversation in enumerate(session.exec(select(Conversation).order_by(col(Conversation.id)))):
            conversation.last_activity_at = utcnow() - timedelta(minutes=50 - minutes * 10)  # newest last
            session.add(conversation)
        session.add_all([
            CannedReply(shortcut="thanks", title="Thank you", text="{{contact.first_name}}，多謝你嘅訊息！",
                        team_id=team),
            CannedReply(shortcut="delivery", title="Delivery times",
                        text="Hi {{contact.first_name}}, we deliver within 2 working days.", team_id=team),
        ])
        session.flush()
        return Scene(agent=agent, main=main.id or 0, closed=closed.id or 0)
