"""Demo data for `make run`: agents and teams, a sandbox channel of each kind, and customers
writing in Chinese, Japanese and English. Loaded once; running it again changes nothing."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import Session, select

from channels import ADAPTERS, IdentityRef, InboundMessage
from hub.agents import service as agents
from hub.agents.models import User
from hub.assignment import demo as assignment_demo
from hub.channel_records import service as channels
from hub.ingest.service import receive
from hub.runtime.db import session_scope, utcnow
from hub.tagging import demo as tagging_demo

ADMIN = ("admin@hub.local", "hub-demo-password")

AGENTS = [
    ("mei@hub.local", "陳美玲 Mei", "agent", "zh_Hant", "Hong Kong"),
    ("yuki@hub.local", "佐藤由紀 Yuki", "agent", "ja", "Japan"),
    ("sam@hub.local", "Sam Taylor", "agent", "en", "Hong Kong"),
    ("marketing@hub.local", "Alex Marketing", "marketer", "en", None),
]

CHANNELS = [  # no credentials: each talks to Hub's own sandbox
    ("whatsapp_meta", "WhatsApp (Meta) HK", "Hong Kong", {"market": "HK"}),
    ("whatsapp_twilio", "WhatsApp (Twilio) JP", "Japan", {"from_number": "whatsapp:+14155238886", "market": "JP"}),
    ("sms_twilio", "SMS HK", "Hong Kong", {"from_number": "+15005550006", "market": "HK"}),
    ("telegram", "Telegram bot", "Japan", {}),
    ("webchat", "Web chat", "Hong Kong", {}),
]

CUSTOMERS = [
    # name, identities, channel kind, locale, messages
    ("陳大文", (IdentityRef("phone", "+85291234567"),), "whatsapp_meta", "zh-HK",
     ["你好，我想問 A123 波鞋有冇 42 號？", "幾時可以送到沙田？"]),
    ("陳大文", (IdentityRef("phone", "+85291234567"),), "sms_twilio", "zh-HK", ["我嘅訂單 #1042 到咗未？"]),
    ("山田太郎", (IdentityRef("phone", "+819012345678"),), "whatsapp_twilio", "ja",
     ["注文した商品を返品したいです。返金はいつになりますか？"]),
    ("鈴木花子", (IdentityRef("telegram", "700100200"),), "telegram", "ja",
     ["このジャケットのMサイズは在庫ありますか"]),
    ("Emily Clark", (IdentityRef("phone", "+14155550123"),), "sms_twilio", "en",
     ["Hi! Is the linen shirt available in blue?"]),
]


def load() -> bool:
    """Load the demo unless it is there already. True when it loaded now."""
    with session_scope() as session:
        if session.exec(select(User).where(User.email == ADMIN[0])).first() is not None:
            return False
        _load(session)
    return True


def announce() -> str:
    """Load the demo unless it is there already, and say which (the core's demo in its module record)."""
    return "demo data loaded" if load() else "demo data already present"


def _load(session: Session) -> None:
    admin = agents.create_user(session=session, email=ADMIN[0], password=ADMIN[1], role="admin", name="Demo Admin")
    assert admin.id is not None
    users: dict[str, list[int]] = {}
    for email, name, role, locale, team in AGENTS:
        user = agents.create_user(session=session, email=email, password=ADMIN[1], role=role, name=name,
                                  locale=locale)
        if team and user.id is not None:
            users.setdefault(team, []).append(user.id)
    teams = {name: agents.create_team(session=session, name=name, member_ids=ids) for name, ids in users.items()}
    by_kind = {}
    for kind, name, team, config in CHANNELS:
        if kind not in ADAPTERS:
            continue
        channel = channels.create(session=session, kind=kind, name=name, config=config,
                                  team_ids=[teams[team].id or 0])
        by_kind[kind] = channel.id
    session.flush()
    sent_at = utcnow() - timedelta(minutes=30)
    for index, (name, identities, kind, locale, texts) in enumerate(CUSTOMERS):
        if kind not in by_kind:
            continue
        for offset, text in enumerate(texts):
            receive(session=session, channel_id=by_kind[kind] or 0, inbound=InboundMessage(
                provider_message_id=f"demo-{index}-{offset}", identities=identities, kind="text", text=text,
                sent_at=sent_at + timedelta(minutes=index * 3 + offset), profile_name=name, locale=locale,
            ))
    session.flush()
    tagging_demo.load(session)  # rules and the classifier: 山田太郎's request is tagged `refund`
    assignment_demo.load(session)  # skills and languages: 山田太郎's Japanese refund request goes to Yuki
