"""Inbox benchmark: the conversation list under each filter, opening a thread, and search, at
100,000 conversations and 1,000,000 messages in PostgreSQL.

Seeds a private schema with COPY: 6 channels across 3 teams, 20 agents and an admin, contacts with
channel identities, conversations (mixed statuses, ~60% assigned, last activity over 90 days) and
messages (skewed per conversation, in English, Traditional Chinese and Japanese, built from word
lists so that a rare word such as 退款 or 返品 is in ~0.5% of messages), tags on ~30% of the
conversations. Then, as an agent of one team and as an admin, warm, one request at a time:

- `query`: the query function alone (`queries.list_conversations`, `queries.visible` + `thread`);
- `data`: what the endpoint does without HTTP (+ `inbox_data.list_rows` / `inbox_data.history`);
- `http`: `hub serve` with a bearer token: `GET /api/v1/inbox/conversations?…`,
  `GET /api/v1/inbox/conversations/{id}/history`, `GET /api/v1/conversations/{id}/messages`.

Goals: p95 ≤ 50 ms for the list and a thread, ≤ 200 ms for a search (`q`), through HTTP.
Run: `.venv/bin/python bench/inbox.py`. Quick run: BENCH_INBOX_CONVERSATIONS=10000
BENCH_INBOX_MESSAGES=100000 BENCH_INBOX_SAMPLES=40. BENCH_INBOX_SEARCH_SAMPLES (default 50) is
the sample count for `q`; BENCH_INBOX_KEEP=1 reuses the seeded schema of the previous run.
"""

from __future__ import annotations

import math
import os
import platform
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
import redis
from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import PG, REDIS, free_port, fresh_schema, hub_env, hub_process, stop, wait_http  # noqa: E402

CONVERSATIONS = int(os.environ.get("BENCH_INBOX_CONVERSATIONS", "100000"))
MESSAGES = int(os.environ.get("BENCH_INBOX_MESSAGES", "1000000"))
SAMPLES = int(os.environ.get("BENCH_INBOX_SAMPLES", "200"))
SEARCH_SAMPLES = int(os.environ.get("BENCH_INBOX_SEARCH_SAMPLES", "50"))
KEEP = os.environ.get("BENCH_INBOX_KEEP") == "1"
SCHEMA = "bench_inbox"
PASSWORD = "bench-password-1"
PAGE = 50
LIST_GOAL_MS, SEARCH_GOAL_MS = 50.0, 200.0
NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
SEARCH_WORDS = {"退款": "zh", "キャンセル": "ja", "refund": "en"}
"""What `q` is measured with: a 2-character Chinese word, a 5-character Japanese word, an English word."""

# ---------------------------------------------------------------------------------------------------------------
# Word lists. The rare words (退款, 返品, キャンセル, refund) appear only in RARE, so their frequency is set there.

TEAMS = ["Hong Kong", "Japan", "International"]
# (name, kind, team index, share of conversations, language mix)
CHANNELS = [
    ("WhatsApp HK", "whatsapp_meta", 0, 0.30, {"zh": 0.8, "en": 0.2}),
    ("SMS HK", "sms_twilio", 0, 0.10, {"zh": 0.7, "en": 0.3}),
    ("WhatsApp JP", "whatsapp_meta", 1, 0.20, {"ja": 0.85, "en": 0.15}),
    ("Telegram JP", "telegram", 1, 0.10, {"ja": 0.8, "en": 0.2}),
    ("WhatsApp Global", "whatsapp_meta", 2, 0.20, {"en": 0.9, "zh": 0.05, "ja": 0.05}),
    ("SMS US", "sms_twilio", 2, 0.10, {"en": 1.0}),
]
TAGS = ["vip", "shipping", "complaint", "follow-up", "new-customer", "wholesale", "size-exchange", "urgent",
        "gift", "lead", "b2b", "spam"]
FIRST = {"en": ["Emma", "Liam", "Olivia", "Noah", "Ava", "Mason", "Sophia", "Lucas", "Mia", "Ethan", "Chloe", "Jack"],
         "zh": ["陳", "李", "張", "黃", "何", "林", "吳", "劉", "梁", "鄭", "謝", "郭"],
         "ja": ["佐藤", "鈴木", "高橋", "田中", "伊藤", "渡辺", "山本", "中村", "小林", "加藤", "吉田", "山田"]}
LAST = {"en": ["Smith", "Brown", "Lee", "Wong", "Taylor", "Wilson", "Chan", "Clark", "Lewis", "Young"],
        "zh": ["大文", "美玲", "家豪", "嘉欣", "志明", "詠詩", "俊傑", "曉彤", "子軒", "凱琳"],
        "ja": ["太郎", "花子", "健", "美咲", "翔", "陽菜", "大輔", "さくら", "蓮", "結衣"]}
ITEMS = {
    "en": ["my order", "order #{n}", "the blue sneakers", "the linen jacket", "the delivery", "the invoice",
           "the gift card", "my parcel", "the size chart", "the coffee beans", "the leather bag", "the phone case",
           "the tracking number", "the wool scarf", "the ceramic mug", "the promo code"],
    "zh": ["我嘅訂單", "訂單編號{n}", "藍色波鞋", "麻質外套", "送貨進度", "發票", "禮品卡", "包裹", "尺碼表", "咖啡豆",
           "皮革手袋", "手機殼", "追蹤號碼", "羊毛頸巾", "陶瓷杯", "優惠碼"],
    "ja": ["注文", "注文番号{n}", "青いスニーカー", "リネンのジャケット", "配送", "請求書", "ギフトカード", "荷物",
           "サイズ表", "コーヒー豆", "革のバッグ", "スマホケース", "追跡番号", "ウールのマフラー", "陶器のマグ",
           "クーポンコード"],
}
INBOUND = {
    "en": (["Hi", "Hello", "Hey", "Good morning", "Sorry to bother you", "Thanks", ""],
           ["can you check {item}", "any update on {item}", "I have a question about {item}",
            "when will you ship {item}", "is there a discount on {item}", "could you help me with {item}",
            "I still have not received {item}", "please confirm {item}", "do you have {item} in stock"],
           ["?", " today?", " please.", " thanks!", " before Friday?", ", it looks damaged.", "."]),
    "zh": (["你好，", "您好，", "唔該，", "請問", "早晨，", "哈囉，", ""],
           ["我想問{item}", "想查詢{item}", "可唔可以幫我查{item}", "{item}幾時可以寄出", "{item}有冇折扣",
            "請幫我確認{item}", "我仲未收到{item}", "{item}仲有冇貨", "想改{item}嘅地址"],
           ["？", "，謝謝！", "。", "，今日可以嗎？", "，好急。", "，好像有損壞。"]),
    "ja": (["こんにちは。", "すみません、", "お世話になっております。", "こんばんは。", ""],
           ["{item}について教えてください", "{item}の状況を確認したいです", "{item}はいつ届きますか",
            "{item}のサイズを変更できますか", "{item}の割引はありますか", "{item}がまだ届いていません",
            "{item}の在庫はありますか", "{item}の住所を変更したいです"],
           ["。", "？", "、よろしくお願いします。", "、急ぎです。", "、壊れているようです。"]),
}
OUTBOUND = {
    "en": (["Hi!", "Thanks for your message.", "Sorry for the wait.", ""],
           ["I have checked {item}", "{item} has shipped", "{item} should arrive in 3-5 days",
            "we have updated {item}", "here is the link for {item}", "{item} is back in stock"],
           [".", ", anything else?", ", have a nice day!", " :)"]),
    "zh": (["你好！", "多謝你嘅訊息。", "唔好意思久等，", ""],
           ["已經幫你查咗{item}", "{item}已經寄出", "{item}預計三至五日送到", "已經更新{item}", "{item}已經補貨"],
           ["。", "，仲有冇其他可以幫到你？", "，祝你有美好嘅一日！"]),
    "ja": (["こんにちは！", "お問い合わせありがとうございます。", "お待たせしました。", ""],
           ["{item}を確認しました", "{item}を発送しました", "{item}は3〜5日で届く予定です", "{item}を更新しました",
            "{item}は再入荷しました"],
           ["。", "。他にご質問はありますか？", "。よろしくお願いいたします。"]),
}
RARE = {  # language: [(share of all messages, phrases)]
    "zh": [(0.005, ["我想申請退款", "可以退款嗎？", "退款幾時到帳？", "已經幫你安排退款", "退款已經處理好"])],
    "ja": [(0.005, ["返品したいです", "返品の手続きを教えてください", "返品を受け付けました"]),
           (0.005, ["注文をキャンセルしたいです", "キャンセルできますか？", "キャンセルを承りました"])],
    "en": [(0.005, ["I would like a refund", "can I get a refund?", "your refund has been issued",
                    "the refund should show up in 5 days"])],
}


def language_shares() -> dict[str, float]:
    shares: dict[str, float] = {}
    for _name, _kind, _team, weight, mix in CHANNELS:
        for language, part in mix.items():
            shares[language] = shares.get(language, 0.0) + weight * part
    return shares


class Writer:
    """Sentences from the word lists; each rare phrase lands in its share of all messages."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        shares = language_shares()
        self.rare = {language: [(share / shares[language], phrases) for share, phrases in entries]
                     for language, entries in RARE.items()}

    def sentence(self, language: str, inbound: bool) -> str:
        rng = self.rng
        greetings, bodies, tails = (INBOUND if inbound else OUTBOUND)[language]
        item = rng.choice(ITEMS[language]).replace("{n}", str(rng.randint(10000, 99999)))
        body = rng.choice(bodies).replace("{item}", item)
        if language == "en":
            body = body[0].upper() + body[1:] if not rng.random() < 0.3 else body
            out = f"{rng.choice(greetings)} {body}{rng.choice(tails)}".strip()
        else:
            out = f"{rng.choice(greetings)}{body}{rng.choice(tails)}"
        if rng.random() < 0.25:  # a second clause
            extra = rng.choice(bodies).replace("{item}", rng.choice(ITEMS[language]).replace("{n}", "1"))
            out += (" " if language == "en" else "") + extra + rng.choice(tails)
        for chance, phrases in self.rare.get(language, []):
            if rng.random() < chance:
                out += (" " if language == "en" else "") + rng.choice(phrases)
        return out


# ---------------------------------------------------------------------------------------------------------------
# Seeding with COPY


@dataclass
class Seeded:
    admin_id: int
    agent_id: int
    agent_team: int
    teams: list[int]
    channels: list[int]
    team_channels: dict[int, list[int]]
    tags: list[str]
    conversation_ids_by_team: dict[int, list[int]] = field(default_factory=dict)


def conninfo() -> str:
    return PG.replace("postgresql+psycopg://", "postgresql://") + f"?options=-csearch_path%3D{SCHEMA}%2Cpublic"


def weighted(rng: random.Random, options: dict[str, float]) -> str:
    return rng.choices(list(options), weights=list(options.values()))[0]


SECONDARY_INDEX_SQL = """
SELECT i.indexname, i.indexdef FROM pg_indexes i
WHERE i.schemaname = %s AND i.tablename = ANY(%s)
  AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = (quote_ident(i.schemaname) || '.' ||
                  quote_ident(i.indexname))::regclass)
"""
BULK_TABLES = ["contact", "channel_identity", "conversation", "message", "conversation_tag"]


def seed(url: str) -> tuple[Seeded, dict[str, float]]:
    """Everything the inbox reads, written with COPY; secondary indexes are built after the data."""
    from hub.agents.service import hash_password

    rng = random.Random(20261122)
    writer = Writer(rng)
    timings: dict[str, float] = {}
    began = time.perf_counter()
    password_hash = hash_password(PASSWORD)
    with psycopg.connect(conninfo()) as conn, conn.cursor() as cur:
        cur.execute("SET maintenance_work_mem = '256MB'")
        cur.execute(SECONDARY_INDEX_SQL, (SCHEMA, BULK_TABLES))
        secondary = cur.fetchall()
        for name, _definition in secondary:
            cur.execute(f'DROP INDEX "{name}"')

        teams = [cur.execute("INSERT INTO team (name, created_at) VALUES (%s, %s) RETURNING id",
                             (name, NOW)).fetchone()[0] for name in TEAMS]  # type: ignore[index]
        channels, channel_team, channel_mix = [], {}, {}
        team_channels: dict[int, list[int]] = {t: [] for t in teams}
        for name, kind, team_no, _weight, mix in CHANNELS:
            channel_id = cur.execute(
                "INSERT INTO channel (kind, name, config, is_active, created_at) VALUES (%s, %s, '{}', true, %s) "
                "RETURNING id", (kind, name, NOW)).fetchone()[0]  # type: ignore[index]
            cur.execute("INSERT INTO team_channel (team_id, channel_id) VALUES (%s, %s)", (teams[team_no], channel_id))
            channels.append(channel_id)
            channel_team[channel_id] = teams[team_no]
            channel_mix[channel_id] = mix
            team_channels[teams[team_no]].append(channel_id)
        channel_weights = [weight for _n, _k, _t, weight, _m in CHANNELS]
        channel_kind = dict(zip(channels, [kind for _n, kind, _t, _w, _m in CHANNELS], strict=True))

        admin_id = cur.execute(
            "INSERT INTO users (email, name, password_hash, role, locale, is_active, online, session_version, "
            "created_at) VALUES ('admin@bench.test', 'Bench Admin', %s, 'admin', 'en', true, true, 1, %s) "
            "RETURNING id", (password_hash, NOW)).fetchone()[0]  # type: ignore[index]
        team_agents: dict[int, list[int]] = {t: [] for t in teams}
        for n in range(20):
            agent = cur.execute(
                "INSERT INTO users (email, name, password_hash, role, locale, is_active, online, session_version, "
                "created_at) VALUES (%s, %s, %s, 'agent', 'en', true, true, 1, %s) RETURNING id",
                (f"agent{n + 1:02d}@bench.test", f"Agent {n + 1:02d}", password_hash, NOW)).fetchone()[0]  # type: ignore[index]
            member_of = [teams[n % 3]] + ([teams[(n + 1) % 3]] if n in (18, 19) else [])
            for team in member_of:
                cur.execute("INSERT INTO team_member (team_id, user_id) VALUES (%s, %s)", (team, agent))
                team_agents[team].append(agent)
        tag_ids = [cur.execute("INSERT INTO tag (name, color, created_at) VALUES (%s, '#6b7280', %s) RETURNING id",
                               (name, NOW)).fetchone()[0] for name in TAGS]  # type: ignore[index]

        # Conversations (one contact each; 5% of contacts write on a second channel as well).
        statuses = {"open": 0.30, "pending": 0.10, "snoozed": 0.05, "resolved": 0.55}
        convs: list[dict[str, Any]] = []
        contact_lang: dict[int, str] = {}
        for i in range(1, CONVERSATIONS + 1):
            channel = rng.choices(channels, weights=channel_weights)[0]
            contact = i
            previous = convs[-1] if convs else None
            if previous and previous["contact"] == i - 1 and previous["channel"] != channel and rng.random() < 0.05:
                contact = i - 1
            if contact not in contact_lang:
                contact_lang[contact] = weighted(rng, channel_mix[channel])
            last = NOW - timedelta(days=90 * rng.random() ** 1.6, seconds=rng.randint(0, 3600))
            created = max(last - timedelta(hours=rng.expovariate(1 / 30)), NOW - timedelta(days=91))
            team = channel_team[channel]
            assignee = None
            if rng.random() < 0.6:
                assignee = admin_id if rng.random() < 0.03 else rng.choice(team_agents[team])
            convs.append({"id": i, "contact": contact, "channel": channel, "team": team, "assignee": assignee,
                          "status": weighted(rng, statuses), "created": created, "last": last,
                          "lang": contact_lang[contact],
                          "weight": rng.lognormvariate(math.log(10) - 0.6, 1.1)})
        scale = MESSAGES / sum(c["weight"] for c in convs)
        counts = [max(1, int(c["weight"] * scale)) for c in convs]
        diff = MESSAGES - sum(counts)
        while diff != 0:
            k = rng.randrange(len(counts))
            if diff > 0:
                counts[k] += 1
                diff -= 1
            elif counts[k] > 1:
                counts[k] -= 1
                diff += 1

        # Messages in arrival order (ids follow time, as in production), each conversation's last at its `last`.
        plan: list[tuple[float, int, int]] = []  # (epoch, conversation index, inbound 1/0)
        last_inbound: dict[int, float] = {}
        last_direction: dict[int, int] = {}
        for index, (conv, count) in enumerate(zip(convs, counts, strict=True)):
            start, end = conv["created"].timestamp(), conv["last"].timestamp()
            moments = sorted(rng.uniform(start, end) for _ in range(count - 1)) + [end]
            inbound = 1
            for moment in moments:
                plan.append((moment, index, inbound))
                if inbound:
                    last_inbound[index] = moment
                last_direction[index] = inbound
                inbound = inbound if rng.random() < 0.4 else 1 - inbound
        plan.sort()
        timings["generate"] = time.perf_counter() - began

        started = time.perf_counter()
        with cur.copy("COPY contact (id, name, locale, timezone, custom_fields, created_at, updated_at) "
                      "FROM STDIN") as copy:
            zones = {"en": "America/New_York", "zh": "Asia/Hong_Kong", "ja": "Asia/Tokyo"}
            locales = {"en": "en", "zh": "zh-Hant", "ja": "ja"}
            for contact, language in contact_lang.items():
                name = (f"{rng.choice(FIRST[language])} {rng.choice(LAST[language])}" if language == "en"
                        else f"{rng.choice(FIRST[language])}{rng.choice(LAST[language])}")
                copy.write_row((contact, name, locales[language], zones[language], "{}", NOW, NOW))
        identity_kind = {"whatsapp_meta": "whatsapp", "sms_twilio": "sms", "telegram": "telegram"}
        with cur.copy("COPY channel_identity (contact_id, kind, value, phone, verified, created_at) "
                      "FROM STDIN") as copy:
            seen: set[tuple[int, str]] = set()
            for conv in convs:
                kind = identity_kind[channel_kind[conv["channel"]]]
                if (conv["contact"], kind) in seen:
                    continue
                seen.add((conv["contact"], kind))
                phone = f"+8529{conv['contact']:07d}"
                value = str(700000000 + conv["contact"]) if kind == "telegram" else phone
                copy.write_row((conv["contact"], kind, value, None if kind == "telegram" else phone, False,
                                conv["created"]))
        with cur.copy("COPY conversation (id, contact_id, channel_id, status, assignee_id, team_id, snoozed_until, "
                      "first_response_at, resolved_at, last_activity_at, last_inbound_at, unread_count, created_at) "
                      "FROM STDIN") as copy:
            for index, conv in enumerate(convs):
                status, last = conv["status"], conv["last"]
                inbound_at = last_inbound.get(index)
                unread = rng.randint(1, 6) if status == "open" and last_direction[index] == 1 else 0
                copy.write_row((
                    conv["id"], conv["contact"], conv["channel"], status, conv["assignee"], conv["team"],
                    NOW + timedelta(hours=rng.randint(1, 48)) if status == "snoozed" else None,
                    conv["created"] + timedelta(minutes=rng.randint(1, 120)) if counts[index] > 1 else None,
                    last if status == "resolved" else None, last,
                    datetime.fromtimestamp(inbound_at, UTC) if inbound_at else None, unread, conv["created"]))
        with cur.copy("COPY message (id, conversation_id, channel_id, direction, kind, text, payload, "
                      "provider_message_id, status, author_id, attempts, created_at, sent_at, delivered_at, read_at) "
                      "FROM STDIN") as copy:
            for message_id, (moment, index, inbound) in enumerate(plan, start=1):
                conv = convs[index]
                at = datetime.fromtimestamp(moment, UTC)
                body = writer.sentence(conv["lang"], bool(inbound))
                if inbound:
                    copy.write_row((message_id, conv["id"], conv["channel"], "inbound", "text", body, "{}",
                                    f"in.{message_id}", "received", None, 0, at, None, None, None))
                else:
                    roll = rng.random()
                    status = "read" if roll < 0.55 else "delivered" if roll < 0.85 else "sent"
                    author = conv["assignee"] or rng.choice(team_agents[conv["team"]])
                    copy.write_row((message_id, conv["id"], conv["channel"], "outbound", "text", body, "{}",
                                    f"out.{message_id}", status, author, 1, at, at + timedelta(seconds=1),
                                    at + timedelta(seconds=3) if status != "sent" else None,
                                    at + timedelta(seconds=60) if status == "read" else None))
        tagged = 0
        with cur.copy("COPY conversation_tag (conversation_id, tag_id, source, created_at) FROM STDIN") as copy:
            tag_weights = [1 / (rank + 1) for rank in range(len(tag_ids))]
            for conv in convs:
                if rng.random() >= 0.30:
                    continue
                tagged += 1
                chosen = set(rng.choices(tag_ids, weights=tag_weights, k=rng.choice((1, 1, 1, 2, 2, 3))))
                for tag_id in chosen:
                    copy.write_row((conv["id"], tag_id, "agent", conv["created"]))
        for table in ("contact", "channel_identity", "conversation", "message"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        timings["copy"] = time.perf_counter() - started

        started = time.perf_counter()
        for _name, definition in secondary:
            cur.execute(definition)
        conn.commit()
        timings["indexes"] = time.perf_counter() - started
    started = time.perf_counter()
    with psycopg.connect(conninfo(), autocommit=True) as conn:
        for table in ("users", "team", "team_member", "team_channel", "channel", "tag", *BULK_TABLES):
            conn.execute(f"VACUUM (ANALYZE) {table}")
    timings["vacuum analyze"] = time.perf_counter() - started

    agent_id = team_agents[teams[0]][0]
    seeded = Seeded(admin_id=admin_id, agent_id=agent_id, agent_team=teams[0], teams=teams, channels=channels,
                    team_channels=team_channels, tags=TAGS)
    timings["total"] = time.perf_counter() - began
    print(f"seeded {len(contact_lang):,} contacts, {len(convs):,} conversations ({tagged:,} tagged), "
          f"{len(plan):,} messages (max {max(counts)} per conversation, median {int(statistics.median(counts))}) in "
          + ", ".join(f"{k} {v:.1f} s" for k, v in timings.items()))
    return seeded, timings


def load_seeded(url: str) -> Seeded:
    """The ids of a schema seeded by an earlier run (BENCH_INBOX_KEEP=1)."""
    with psycopg.connect(conninfo()) as conn:
        teams = [r[0] for r in conn.execute("SELECT id FROM team ORDER BY id")]
        channels = [r[0] for r in conn.execute("SELECT id FROM channel ORDER BY id")]
        team_channels: dict[int, list[int]] = {t: [] for t in teams}
        for team, channel in conn.execute("SELECT team_id, channel_id FROM team_channel ORDER BY channel_id"):
            team_channels[team].append(channel)
        admin = conn.execute("SELECT id FROM users WHERE role = 'admin'").fetchone()[0]  # type: ignore[index]
        agent = conn.execute("SELECT id FROM users WHERE email = 'agent01@bench.test'").fetchone()[0]  # type: ignore[index]
    return Seeded(admin_id=admin, agent_id=agent, agent_team=teams[0], teams=teams, channels=channels,
                  team_channels=team_channels, tags=TAGS)


# ---------------------------------------------------------------------------------------------------------------
# Measuring


@dataclass
class Case:
    who: str
    name: str
    kind: str  # list | search | thread
    query: list[float] = field(default_factory=list)
    data: list[float] = field(default_factory=list)
    http: list[float] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)

    def add(self, query: float, data: float, http: float, rows: int) -> None:
        self.query.append(query)
        self.data.append(data)
        self.http.append(http)
        self.rows.append(rows)

    @property
    def goal(self) -> float:
        return SEARCH_GOAL_MS if self.kind == "search" else LIST_GOAL_MS


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1000


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = call()
    return time.perf_counter() - started, result


def http_get(client: httpx.Client, path: str, params: dict[str, Any], headers: dict[str, str]
             ) -> tuple[float, Any]:
    started = time.perf_counter()
    answer = client.get(path, params=params, headers=headers)
    spent = time.perf_counter() - started
    answer.raise_for_status()
    return spent, answer.json()


def list_direct(engine: Any, user: Any, params: dict[str, Any], after: Any) -> tuple[float, float, list[Any]]:
    """(query time, query + list_rows time, rows) for one page, in a session of its own."""
    from sqlmodel import Session

    from hub.conversations import queries
    from hub.web import inbox_data

    with Session(engine) as session:
        started = time.perf_counter()
        rows = queries.list_conversations(session=session, user=user, filters=to_filter(params), limit=PAGE + 1,
                                          after=after)
        spent_query = time.perf_counter() - started
        inbox_data.list_rows(session, rows[:PAGE])
        return spent_query, time.perf_counter() - started, rows


def thread_direct(engine: Any, user: Any, conversation_id: int, history: bool) -> tuple[float, int]:
    """`visible` + `thread` (or + `inbox_data.history`), in a session of its own."""
    from sqlmodel import Session

    from hub.conversations import queries
    from hub.web import inbox_data

    with Session(engine) as session:
        started = time.perf_counter()
        conversation = queries.visible(session=session, user=user, conversation_id=conversation_id)
        assert conversation is not None
        if history:
            rows: list[Any] = inbox_data.history(session, user, conversation, None, PAGE)
        else:
            rows = queries.thread(session=session, conversation=conversation, limit=PAGE)
        return time.perf_counter() - started, len(rows)


def filter_variants(seeded: Seeded, who: str) -> list[tuple[str, str, Callable[[random.Random], dict[str, Any]]]]:
    """(case name, kind, params for one sample)."""
    agent = who == "agent"
    teams = [seeded.agent_team] if agent else seeded.teams
    channels = seeded.team_channels[seeded.agent_team] if agent else seeded.channels
    variants: list[tuple[str, str, Callable[[random.Random], dict[str, Any]]]] = [
        ("no filter", "list", lambda rng: {}),
        ("status=open", "list", lambda rng: {"status": "open"}),
        ("assignee=me", "list", lambda rng: {"assignee": "me"}),
        ("assignee=none", "list", lambda rng: {"assignee": "none"}),
        ("team", "list", lambda rng: {"team_id": rng.choice(teams)}),
        ("channel", "list", lambda rng: {"channel_id": rng.choice(channels)}),
        ("tag", "list", lambda rng: {"tag": rng.choice(seeded.tags[:8])}),
    ]
    for word in SEARCH_WORDS:
        variants.append((f"q={word}", "search", lambda rng, word=word: {"q": word}))
    return variants


def to_filter(params: dict[str, Any]) -> Any:
    from hub.conversations.queries import ConversationFilter

    return ConversationFilter(status=params.get("status"), assignee=params.get("assignee"),
                              team_id=params.get("team_id"), channel_id=params.get("channel_id"),
                              tag=params.get("tag"), q=params.get("q"))


def measure(url: str, base: str, seeded: Seeded) -> list[Case]:
    from sqlmodel import Session, select

    from hub.agents.models import User
    from hub.api import pagination
    from hub.conversations import queries
    from hub.conversations.models import Conversation
    from hub.runtime import db

    engine = db.make_engine(url, pool_size=2, max_overflow=0)
    client = httpx.Client(base_url=base, timeout=60)
    cases: list[Case] = []
    users = {"agent": seeded.agent_id, "admin": seeded.admin_id}
    for who, user_id in users.items():
        email = "admin@bench.test" if who == "admin" else "agent01@bench.test"
        token = client.post("/api/v1/auth/token", data={"username": email, "password": PASSWORD})
        token.raise_for_status()
        headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
        with Session(engine) as session:
            user = session.get(User, user_id)
            assert user is not None
            session.expunge(user)
            visible = [c.id for c in session.exec(select(Conversation).where(
                queries.can_see_conversations(session, user)))]
        rng = random.Random(user_id)

        for name, kind, make in filter_variants(seeded, who):
            samples = SEARCH_SAMPLES if kind == "search" else SAMPLES
            first, second = Case(who, f"list {name}, page 1", kind), Case(who, f"list {name}, page 2", kind)
            cursors: dict[tuple[Any, ...], tuple[str | None, Any]] = {}
            for n in range(samples + 2):  # the first two are warm-up
                params = make(rng)
                spent_query, spent_data, rows = list_direct(engine, user, params, None)
                spent_http, page = http_get(client, "/api/v1/inbox/conversations", params, headers)
                key = tuple(sorted(params.items()))
                if key not in cursors:
                    after = (rows[PAGE - 1].last_activity_at, rows[PAGE - 1].id) if len(rows) > PAGE else None
                    cursors[key] = (page["next_cursor"], after)
                if n >= 2:
                    first.add(spent_query, spent_data, spent_http, len(page["items"]))
                cursor, after = cursors[key]
                if cursor is None:
                    continue
                assert pagination.decode(cursor)[1] == after[1]
                spent_query, spent_data, rows = list_direct(engine, user, params, after)
                spent_http, page = http_get(client, "/api/v1/inbox/conversations", {**params, "cursor": cursor},
                                            headers)
                if n >= 2:
                    second.add(spent_query, spent_data, spent_http, len(page["items"]))
            cases += [first, second]
            print(f"  {who}: {name} done", flush=True)

        messages = Case(who, "thread: conversations/{id}/messages", "thread")
        history = Case(who, "thread: inbox/conversations/{id}/history", "thread")
        for n in range(SAMPLES + 2):
            conversation_id = rng.choice(visible)
            spent_query, count = thread_direct(engine, user, conversation_id, history=False)
            spent_data, _ = thread_direct(engine, user, conversation_id, history=True)
            spent_messages, _ = http_get(client, f"/api/v1/conversations/{conversation_id}/messages",
                                         {"limit": PAGE}, headers)
            spent_history, answer = http_get(client, f"/api/v1/inbox/conversations/{conversation_id}/history",
                                             {"limit": PAGE}, headers)
            if n >= 2:
                messages.query.append(spent_query)
                messages.http.append(spent_messages)
                messages.rows.append(count)
                history.data.append(spent_data)
                history.http.append(spent_history)
                history.rows.append(len(answer))
        cases += [messages, history]
        print(f"  {who}: threads done", flush=True)
    client.close()
    engine.dispose()
    return cases


def hits(url: str) -> dict[str, tuple[int, int]]:
    """Messages and conversations containing each search word."""
    out = {}
    with psycopg.connect(conninfo()) as conn:
        for word in SEARCH_WORDS:
            row = conn.execute("SELECT count(*), count(DISTINCT conversation_id) FROM message WHERE text LIKE %s",
                               (f"%{word}%",)).fetchone()
            assert row is not None
            out[word] = (int(row[0]), int(row[1]))
    return out


def report(cases: list[Case]) -> None:
    def cell(values: list[float]) -> str:
        return f"{pct(values, 0.5):.1f} / {pct(values, 0.95):.1f}" if values else "—"

    print("\n| as | case | n | rows | query fn p50 / p95 ms | + rows (data) p50 / p95 ms | HTTP p50 / p95 ms | goal |")
    print("|---|---|---|---|---|---|---|---|")
    misses = []
    for case in cases:
        met = pct(case.http, 0.95) <= case.goal if case.http else True
        if not met:
            misses.append(case)
        rows = f"{min(case.rows)}–{max(case.rows)}" if case.rows and min(case.rows) != max(case.rows) else \
            str(case.rows[0]) if case.rows else "0"
        print(f"| {case.who} | {case.name} | {len(case.http)} | {rows} | {cell(case.query)} | {cell(case.data)} | "
              f"{cell(case.http)} | {'met' if met else 'MISSED'} (≤ {case.goal:.0f}) |")
    for kind, goal in (("list", LIST_GOAL_MS), ("thread", LIST_GOAL_MS), ("search", SEARCH_GOAL_MS)):
        chosen = [c for c in cases if c.kind == kind and c.http]
        worst = max(chosen, key=lambda c: pct(c.http, 0.95))
        ok = all(pct(c.http, 0.95) <= goal for c in chosen)
        print(f"goal {kind}: HTTP p95 ≤ {goal:.0f} ms -> {'MET' if ok else 'NOT MET'} "
              f"(worst {pct(worst.http, 0.95):.1f} ms: {worst.who}, {worst.name})")


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="hub-bench-inbox-"))
    if KEEP:
        url = f"{PG}?options=-csearch_path%3D{SCHEMA}%2Cpublic"
        seeded = load_seeded(url)
    else:
        url = fresh_schema(SCHEMA)
        seeded, _ = seed(url)
    from hub.runtime import db

    engine = db.make_engine(url)
    with engine.connect() as conn:
        heads = conn.execute(text("SELECT string_agg(version_num, ',' ORDER BY version_num) FROM alembic_version"))
        print(f"migrations: {heads.scalar()}; message indexes: " + ", ".join(
            r[0] for r in conn.execute(text("SELECT indexname FROM pg_indexes WHERE tablename = 'message' "
                                            f"AND schemaname = '{SCHEMA}' ORDER BY 1"))))
    engine.dispose()
    found = hits(url)
    print("search hits (messages / conversations): " + ", ".join(
        f"{w} {m:,} / {c:,} ({m / MESSAGES:.2%})" for w, (m, c) in found.items()))

    redis.Redis.from_url(REDIS).flushdb()
    port = free_port()
    server = hub_process(["serve", "--port", str(port)], hub_env(url, port, work), work / "serve.log")
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz")
        cases = measure(url, f"http://127.0.0.1:{port}", seeded)
    finally:
        stop(server)
    print(f"\ninbox benchmark: {CONVERSATIONS:,} conversations, {MESSAGES:,} messages; {SAMPLES} samples "
          f"({SEARCH_SAMPLES} for q), one at a time, warm; 1 API process; {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    report(cases)
    print(f"  logs in {work}")


if __name__ == "__main__":
    main()
