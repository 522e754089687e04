"""Five months of the demo shop's past, made up once so the report pages have something to show on `make run`.

`HUB_DEMO_HISTORY_DAYS` (default 150) sets how far back it goes; customers, campaigns and journey runs shrink or
grow with it, so a shorter history (the tests' few weeks) is the same shop, only younger.

Seeded: the same history, relative to the day it is generated, every time. Written straight into the
packages' tables as months of use would have left them (conversations, messages, resolutions, CSAT surveys,
campaign recipients, journey runs, orders); the facts then come from those rows through the reports' own
backfill (`reports.backfill`), the path live traffic and `hub reports backfill` take, so every figure agrees
with the rows behind it. Only ever on the demo shop, and only once: its campaigns' names mark it done.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from flows.campaigns.models import Campaign
from hub.agents.models import Team, TeamMember, User
from hub.assignment import hours
from hub.channel_records.models import Channel
from hub.contacts.models import Contact
from hub.conversations.models import Conversation, ConversationActivity, Message
from hub.csat.models import CsatSurvey
from hub.runtime.db import session_scope
from reports import demo_sales
from reports.business_hours import holidays_in
from reports.settings import get_report_settings

SEED = 17
DAYS = 150
"""The default length: the figures below (customers; the campaigns' and journeys' days) are for a history of it."""
CUSTOMERS = 800
MARK = demo_sales.MARK

LOCALES = {  # locale: (names, currency, channel kinds, first messages, agent replies)
    "zh-HK": (["陳大文", "李嘉欣", "黃志明", "張美儀", "何家豪", "林淑芬", "吳俊傑", "梁詠琪", "周子健", "劉曉彤"],
              "HKD",
              ["whatsapp_meta", "sms_twilio", "webchat"],
              ["你好，A123 波鞋有冇 42 號？", "我嘅訂單到咗未？", "可唔可以改送貨地址？", "有冇優惠碼？",
               "想退貨，點做？"],
              ["你好！有貨，幫你留一對好嗎？", "已經幫你查咗，聽日送到。", "改好咗，多謝！", "用 WINTER10 有九折。"]),
    "zh-TW": (["王小明", "陳怡君", "林志豪", "張雅婷", "李宗翰", "黃淑惠"], "TWD",
              ["webchat", "telegram"],
              ["請問這件外套還有 M 號嗎？", "運費怎麼算？", "我的訂單什麼時候出貨？", "可以開發票嗎？"],
              ["您好，還有庫存喔！", "滿 1500 元免運。", "明天會出貨，謝謝您。"]),
    "ja": (["山田太郎", "鈴木花子", "佐藤健", "高橋美咲", "田中翔", "伊藤さくら", "渡辺大輔", "中村優子"], "JPY",
           ["whatsapp_twilio", "telegram"],
           ["このジャケットのMサイズは在庫ありますか", "返品したいです。", "注文はいつ届きますか？",
            "クーポンは使えますか？"],
           ["在庫ございます。お取り置きしましょうか？", "明日お届け予定です。", "返品を承りました。"]),
    "en": (["Emily Clark", "Jason Lee", "Sarah Wong", "Tom Baker", "Priya Nair", "Lucas Martin"], "HKD",
           ["sms_twilio", "webchat", "whatsapp_meta"],
           ["Is the linen shirt available in blue?", "Where is my order?", "Can I change the size?",
            "Do you ship to Kowloon?"],
           ["Yes, it is! Shall I hold one for you?", "It's out for delivery today.", "Done, thanks!"]),
}
AGENT_FOR = {"zh-HK": "mei@hub.local", "zh-TW": "mei@hub.local", "ja": "yuki@hub.local", "en": "sam@hub.local"}
BOT_TEXT = {"zh-HK": "你好！我係小助手，請揀一個選項。", "zh-TW": "您好！我是小幫手，請選擇。",
            "ja": "こんにちは！アシスタントです。メニューからお選びください。", "en": "Hi! I'm the shop assistant."}


@dataclass
class Shop:
    """What the demo loaded that the history is written around."""

    channels: dict[str, Channel]
    agents: dict[str, User]
    team_of: dict[int, int]
    rng: random.Random
    now: datetime
    days: int
    tz: str
    weekly: Any
    closed_days: frozenset[date]
    contacts: list[tuple[Contact, str, str]] = field(default_factory=list)
    """(contact, locale, channel kind)."""
    threads: dict[int, list[Conversation]] = field(default_factory=dict)
    """Each contact's conversations, oldest first."""

    def scaled(self, days: int) -> timedelta:
        """`days` of a history of the default length, in proportion to this one's."""
        return timedelta(days=days * self.days / DAYS)


def generate(now: datetime | None = None) -> str | None:
    """Write the history unless it is there already (or the demo's channels and agents are not); what it did."""
    with session_scope() as session:
        if session.execute(select(col(Campaign.id)).where(col(Campaign.name).contains(MARK))).first():
            return None
        shop = _shop(session, now or datetime.now(UTC))
        if shop is None:
            return None
        _contacts(session, shop)
        conversations = _conversations(session, shop)
        surveys = _surveys(session, shop, conversations)
        sold = demo_sales.generate(session, shop)
    return f"{len(shop.contacts)} customers, {len(conversations)} conversations, {surveys} CSAT surveys, {sold}"


def _shop(session: Session, now: datetime) -> Shop | None:
    channels = {c.kind: c for c in session.execute(select(Channel).order_by(col(Channel.id))).scalars()}
    agents = {u.email: u for u in session.execute(select(User).where(col(User.email).in_(set(AGENT_FOR.values()))))
              .scalars()}
    if not channels or set(agents) != set(AGENT_FOR.values()):
        return None
    team_of = {int(m.user_id): int(m.team_id) for m in session.execute(
        select(TeamMember).join(Team, col(Team.id) == col(TeamMember.team_id))).scalars()}
    settings = get_report_settings()
    closed = frozenset().union(*(holidays_in(settings.holiday_countries, year)
                                 for year in range(now.year - 1, now.year + 1)))
    return Shop(channels=channels, agents=agents, team_of=team_of, rng=random.Random(SEED), now=now,
                days=settings.demo_history_days, tz=settings.timezone, weekly=settings.weekly_hours, closed_days=closed)


def _contacts(session: Session, shop: Shop) -> None:
    rng = shop.rng
    weights = {"zh-HK": 5, "zh-TW": 2, "ja": 3, "en": 2}
    for n in range(CUSTOMERS * shop.days // DAYS):
        locale = rng.choices(list(weights), weights=list(weights.values()))[0]
        names, _, kinds, _, _ = LOCALES[locale]
        kind = next((k for k in rng.sample(kinds, len(kinds)) if k in shop.channels), None)
        if kind is None:
            continue
        name = rng.choice(names)
        contact = Contact(name=f"{name} {n + 1:03d}" if locale == "en" else f"{name}{n + 1}", locale=locale,
                          created_at=shop.now - timedelta(days=shop.days + rng.randint(0, 200)))
        session.add(contact)
        shop.contacts.append((contact, locale, kind))
    session.flush()


def is_open(shop: Shop, moment: datetime) -> bool:
    local = moment.astimezone(hours.zone(shop.tz))
    return local.date() not in shop.closed_days and hours.is_open(shop.tz, shop.weekly, moment)


def opening_after(shop: Shop, moment: datetime) -> datetime:
    """The next moment the shop is open, holidays skipped."""
    at = moment
    for _ in range(20):
        if is_open(shop, at):
            return at
        found = hours.next_opening(shop.tz, shop.weekly, at)
        if found is None:
            return at
        at = found if is_open(shop, found) else found + timedelta(hours=12)
    return at


def _moment(shop: Shop, day: date) -> datetime:
    """A customer's moment in a day: mostly afternoon and evening, local time."""
    rng = shop.rng
    hour = min(23, max(7, int(rng.gauss(14, 3.5))))
    local = datetime.combine(day, time(hour, rng.randint(0, 59), rng.randint(0, 59)), tzinfo=hours.zone(shop.tz))
    return local.astimezone(UTC)


def _conversations(session: Session, shop: Shop) -> list[Conversation]:
    """Day by day: new conversations, and customers writing again in their resolved one (one per channel)."""
    rng, made = shop.rng, dict[tuple[int | None, str], Conversation]()
    today = shop.now.astimezone(hours.zone(shop.tz)).date()
    for back in range(shop.days, 0, -1):
        day = today - timedelta(days=back)
        busy = 5 if day.weekday() >= 5 or day in shop.closed_days else 11
        for _ in range(rng.randint(busy - 2, busy + 3)):
            contact, locale, kind = rng.choice(shop.contacts)
            opened = _moment(shop, day)
            known = made.get((contact.id, kind))
            if opened >= shop.now - timedelta(hours=2) or (known is not None and (
                    known.status != "resolved" or known.last_activity_at >= opened or known.assignee_id is None
                    or rng.random() < 0.6)):
                continue
            made[(contact.id, kind)] = _episode(session, shop, known, contact, locale, shop.channels[kind], opened)
    session.flush()
    return list(made.values())


def _message(session: Session, conversation: Conversation, at: datetime, *, inbound: bool, text: str,
             sender: str = "reply", author: int | None = None) -> None:
    read = at + timedelta(minutes=3) if not inbound else None
    session.add(Message(conversation_id=conversation.id or 0, channel_id=conversation.channel_id,
                        direction="inbound" if inbound else "outbound", text=text, sender=sender, author_id=author,
                        status="received" if inbound else "read", occurred_at=at, created_at=at,
                        sent_at=None if inbound else at + timedelta(seconds=2),
                        delivered_at=None if inbound else at + timedelta(seconds=20), read_at=read))
    conversation.last_activity_at = max(conversation.last_activity_at, at)


def _open(session: Session, shop: Shop, known: Conversation | None, contact: Contact, channel: Channel,
          opened: datetime, agent: User, bot: bool) -> Conversation:
    if known is not None:  # the customer writes again: the same conversation, reopened
        session.add(ConversationActivity(conversation_id=known.id or 0, kind="reopened", actor="customer",
                                         created_at=opened))
        known.status, known.last_inbound_at = "open", opened
        return known
    conversation = Conversation(contact_id=contact.id or 0, channel_id=channel.id or 0, status="open",
                                assignee_id=None if bot else agent.id, team_id=shop.team_of.get(agent.id or 0),
                                created_at=opened, last_activity_at=opened, last_inbound_at=opened,
                                automation_mode="bot" if bot else "human")
    session.add(conversation)
    session.flush()
    shop.threads.setdefault(contact.id or 0, []).append(conversation)
    return conversation


def _episode(session: Session, shop: Shop, known: Conversation | None, contact: Contact, locale: str,
             channel: Channel, opened: datetime) -> Conversation:
    """A customer writes; a bot answers alone or hands over, or a person answers in the shop's hours."""
    rng = shop.rng
    agent = shop.agents[AGENT_FOR[locale]]
    _, _, _, asks, answers = LOCALES[locale]
    bot = known is None and channel.kind in ("webchat", "whatsapp_meta", "telegram") and rng.random() < 0.45
    conversation = _open(session, shop, known, contact, channel, opened, agent, bot)
    at = opened
    if bot:
        _message(session, conversation, at, inbound=True, text=rng.choice(asks))
        at += timedelta(seconds=rng.randint(2, 8))
        _message(session, conversation, at, inbound=False, text=BOT_TEXT[locale], sender="bot")
        if rng.random() < 0.6:  # the bot answered it: resolved with no person
            return _resolve(session, conversation, at + timedelta(minutes=rng.randint(2, 15)), None)
        at += timedelta(minutes=rng.randint(1, 4))
        conversation.handed_off_at, conversation.automation_mode = at, "human"
        conversation.assignee_id = agent.id
    for turn in range(rng.choice((1, 1, 2, 2, 3))):
        if turn or not bot:  # the customer writes (again); a person answers in the shop's hours
            at += timedelta(minutes=rng.randint(3, 240)) if turn else timedelta()
            if at >= shop.now - timedelta(minutes=5):
                break
            _message(session, conversation, at, inbound=True, text=rng.choice(asks))
        reply = opening_after(shop, at) + timedelta(minutes=rng.lognormvariate(1.9, 0.9))
        if reply >= shop.now - timedelta(minutes=5):
            break
        _message(session, conversation, reply, inbound=False, text=rng.choice(answers), author=agent.id)
        at = reply
    # All resolved: the demo's inbox shows what is happening now, and no agent is busy with the past.
    return _resolve(session, conversation, min(at + timedelta(minutes=rng.randint(1, 60)), shop.now), agent.id)


def _resolve(session: Session, conversation: Conversation, at: datetime, agent_id: int | None) -> Conversation:
    session.add(ConversationActivity(conversation_id=conversation.id or 0, kind="resolved",
                                     actor="agent" if agent_id else "bot", agent_id=agent_id, created_at=at))
    conversation.status, conversation.resolved_at, conversation.last_activity_at = "resolved", at, at
    return conversation


def _surveys(session: Session, shop: Shop, conversations: list[Conversation]) -> int:
    """A 1-5 question after most resolutions by a person; about half answered, mostly 4 or 5."""
    rng, made = shop.rng, 0
    for conversation in conversations:
        if (conversation.resolved_at is None or conversation.assignee_id is None or rng.random() < 0.25
                or conversation.resolved_at >= shop.now - timedelta(minutes=5)):
            continue
        sent = conversation.resolved_at + timedelta(minutes=1)
        answered = rng.random() < 0.5 and sent + timedelta(hours=2) < shop.now
        rating = rng.choices((5, 4, 3, 2, 1), weights=(55, 25, 10, 5, 5))[0] if answered else None
        session.add(CsatSurvey(conversation_id=conversation.id or 0, channel_id=conversation.channel_id,
                               agent_id=conversation.assignee_id, team_id=conversation.team_id,
                               trigger=f"resolved:{sent.isoformat()}", status="answered" if answered else "sent",
                               due_at=sent, sent_at=sent, rating=rating,
                               answered_at=sent + timedelta(minutes=rng.randint(1, 90)) if answered else None,
                               created_at=sent))
        made += 1
    session.flush()
    return made
