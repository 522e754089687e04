"""A generated shop history for the reports' tests, and the figures computed from it by hand.

The history is written straight into hub's and catalog's tables (as the rows would be after months of use),
then `hub reports backfill` turns it into facts. The expected figures here never touch `reports`: durations
in business hours are counted minute by minute, percentiles by `statistics`.
"""

from __future__ import annotations

import random
import statistics
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import holidays

from catalog.models import Order, OrderEvent
from hub.agents.models import Team, TeamMember
from hub.assignment.models import TeamPolicy
from hub.contacts.models import Contact
from hub.conversations.models import Conversation, ConversationActivity, Message
from hub.runtime.db import session_scope
from hub.tags.models import ConversationTag, Tag
from tests.factories import make_channel, make_user

HK = ZoneInfo("Asia/Hong_Kong")
TOKYO = ZoneInfo("Asia/Tokyo")
START = datetime(2026, 9, 21, tzinfo=HK)  # a Monday; the range spans weekends and 1 October (National Day)
DAYS = 28
NAMES = ["陳大文", "鈴木花子", "=HYPERLINK(\"http://evil\")", "李小龍", "佐藤健", "Alice Wong"]
WEEKDAY_HOURS = {day: [["09:00", "18:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}
TOKYO_HOURS = {day: [["10:00", "19:00"]] for day in ("mon", "tue", "wed", "thu", "fri")}


@dataclass
class Thread:
    id: int
    team: int | None
    agent: int | None
    channel: int
    opened: datetime
    tags: list[str]
    inbound: list[datetime] = field(default_factory=list)
    replies: list[tuple[datetime, int]] = field(default_factory=list)  # (when, author) agent replies
    bot: list[datetime] = field(default_factory=list)
    resolved: list[datetime] = field(default_factory=list)
    reopened: list[datetime] = field(default_factory=list)


@dataclass
class Sale:
    id: int
    currency: str
    amount: int
    paid: datetime
    refunded: datetime | None
    agent: int | None
    channel: int
    team: int | None


@dataclass
class History:
    channels: list[int]
    teams: dict[str, int]
    agents: dict[str, int]
    threads: list[Thread]
    sales: list[Sale]
    hours: dict[int | None, tuple[ZoneInfo, dict[str, list[list[str]]]]]
    deadline_minutes: dict[int, int]


def business_seconds(start: datetime, end: datetime, tz: ZoneInfo, weekly: dict[str, list[list[str]]]) -> float:
    """Minute by minute: open when the minute's local weekday has a range covering it and it is no HK holiday."""
    days = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
    closed = holidays.country_holidays("HK", years=range(2026, 2028))
    total = 0
    moment = start
    while moment < end:
        local = moment.astimezone(tz)
        minute = local.strftime("%H:%M")
        if local.date() not in closed and any(a <= minute < b for a, b in weekly.get(days[local.weekday()], [])):
            total += 60
        moment += timedelta(minutes=1)
    return float(total)


def _minute(rng: random.Random, day: int) -> datetime:
    return (START + timedelta(days=day, minutes=rng.randrange(0, 24 * 60))).astimezone(UTC)


def generate(seed: int = 7, conversations: int = 60) -> History:
    rng = random.Random(seed)
    wa = make_channel("webchat", "Web chat 香港").id or 0
    tg = make_channel("telegram", "Telegram 日本").id or 0
    with session_scope() as session:
        hk = Team(name="香港 support")
        jp = Team(name="日本 support")
        session.add_all([hk, jp])
        session.flush()
        teams = {"hk": hk.id or 0, "jp": jp.id or 0}
        session.add(TeamPolicy(team_id=teams["jp"], timezone="Asia/Tokyo", weekly_hours=TOKYO_HOURS,
                               first_response_minutes=120))
        session.add(TeamPolicy(team_id=teams["hk"], timezone="Asia/Hong_Kong", weekly_hours=None,
                               first_response_minutes=60))  # no hours of its own: the shop's
    agents = {"mei": make_user("mei@reports.test", "agent").id or 0,
              "yuki": make_user("yuki@reports.test", "agent").id or 0}
    with session_scope() as session:
        session.add(TeamMember(team_id=teams["hk"], user_id=agents["mei"]))
        session.add(TeamMember(team_id=teams["jp"], user_id=agents["yuki"]))
        tag_ids = {}
        for name in ("退貨", "VIP"):
            tag = Tag(name=name)
            session.add(tag)
            session.flush()
            tag_ids[name] = tag.id
    threads: list[Thread] = []
    sales: list[Sale] = []
    with session_scope() as session:
        for n in range(conversations):
            contact = Contact(name=NAMES[n % len(NAMES)])
            session.add(contact)
            session.flush()
            team_key = rng.choice(["hk", "jp", None])
            team = teams[team_key] if team_key else None
            agent = agents["yuki" if team_key == "jp" else "mei"] if rng.random() < 0.9 else None
            channel = tg if team_key == "jp" else wa
            opened = _minute(rng, rng.randrange(0, DAYS - 3))
            tags = rng.sample(["退貨", "VIP"], rng.randrange(0, 3))
            conversation = Conversation(contact_id=contact.id or 0, channel_id=channel, team_id=team,
                                        assignee_id=agent, created_at=opened, last_activity_at=opened,
                                        status="open")
            session.add(conversation)
            session.flush()
            thread = Thread(conversation.id or 0, team, agent, channel, opened, tags)
            moment = opened
            for step in range(rng.randrange(1, 6)):
                moment += timedelta(minutes=rng.choice([1, 5, 30, 90, 300, 700, 1500, 3000]))
                if step == 0 or rng.random() < 0.5:
                    thread.inbound.append(moment)
                    session.add(Message(conversation_id=thread.id, channel_id=channel, direction="inbound",
                                        text="你好", status="received", occurred_at=moment, created_at=moment))
                elif rng.random() < 0.2:
                    thread.bot.append(moment)
                    session.add(Message(conversation_id=thread.id, channel_id=channel, direction="outbound",
                                        text="bot", status="sent", sender="bot", occurred_at=moment,
                                        created_at=moment))
                else:
                    author = agent or agents["mei"]
                    thread.replies.append((moment, author))
                    session.add(Message(conversation_id=thread.id, channel_id=channel, direction="outbound",
                                        text="はい", status="read", sender="reply", author_id=author,
                                        occurred_at=moment, created_at=moment, delivered_at=moment,
                                        read_at=moment + timedelta(minutes=3)))
            session.add(Message(conversation_id=thread.id, channel_id=channel, direction="outbound", kind="note",
                                text="note", status="sent", author_id=agent, occurred_at=moment, created_at=moment))
            if rng.random() < 0.7:
                moment += timedelta(minutes=rng.choice([10, 200, 2000]))
                thread.resolved.append(moment)
                session.add(ConversationActivity(conversation_id=thread.id, kind="resolved", actor="agent",
                                                 agent_id=agent, created_at=moment))
                if rng.random() < 0.3:
                    moment += timedelta(minutes=600)
                    thread.reopened.append(moment)
                    session.add(ConversationActivity(conversation_id=thread.id, kind="reopened", actor="customer",
                                                     created_at=moment))
                    moment += timedelta(minutes=45)
                    thread.resolved.append(moment)
                    session.add(ConversationActivity(conversation_id=thread.id, kind="resolved", actor="agent",
                                                     agent_id=agent, created_at=moment))
            for name in tags:
                session.add(ConversationTag(conversation_id=thread.id, tag_id=tag_ids[name]))
            threads.append(thread)
            if rng.random() < 0.5:
                currency = "HKD" if channel == wa else "JPY"
                paid = moment + timedelta(minutes=rng.randrange(1, 600))
                refunded = paid + timedelta(days=2) if rng.random() < 0.25 else None
                order = Order(number=f"T{n:04d}", contact_id=contact.id or 0, conversation_id=thread.id,
                              channel_id=channel, agent_id=agent, currency=currency,
                              total_minor=rng.randrange(1000, 90000), status="refunded" if refunded else "paid",
                              created_at=paid, paid_at=paid, refunded_at=refunded)
                session.add(order)
                session.flush()
                if refunded:
                    session.add(OrderEvent(order_id=order.id or 0, kind="refunded", created_at=refunded))
                sales.append(Sale(order.id or 0, currency, order.total_minor, paid, refunded, agent, channel, team))
    shop = (HK, WEEKDAY_HOURS)
    return History([wa, tg], teams, agents, threads, sales,
                   {None: shop, teams["hk"]: shop, teams["jp"]: (TOKYO, TOKYO_HOURS)},
                   {teams["hk"]: 60, teams["jp"]: 120})


def in_range(moment: datetime, first: date, last: date, tz: ZoneInfo) -> bool:
    return first <= moment.astimezone(tz).date() <= last


def quantiles(values: list[float]) -> tuple[float | None, float | None]:
    """Median and 90th percentile, interpolating linearly between ranks."""
    if not values:
        return None, None
    if len(values) == 1:
        return values[0], values[0]
    return statistics.median(values), statistics.quantiles(values, n=10, method="inclusive")[8]
