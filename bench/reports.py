"""Reports at scale: p95 of every report over a 90-day range, through HTTP.

Seeds a private schema with COPY: 100,000 contacts (one conversation each on one of three channels, in three
teams with ten agents), 1,000,000 messages, 200,000 orders in HKD and JPY, 10,000,000 reporting facts over a
year, and five campaigns; then builds the daily rollups from the facts (`reports.rollup.rebuild`, the
backfill's last step). `BENCH_SCALE=0.1` divides every count by ten. Then `hub serve` (one process) answers
each report `BENCH_REPORTS_SAMPLES` times, one request at a time, warm; the script prints p50 and p95.

    BENCH_SCALE=0.1 BENCH_REDIS=redis://127.0.0.1:6379/9 BENCH_SCHEMA_SUFFIX=_mine .venv/bin/python bench/reports.py

`BENCH_REPORTS_REUSE=1` keeps a schema an earlier run seeded (at the same scale): it is migrated to the code's
head, its rollups rebuilt from its facts and analysed, and the reports measured, without seeding again;
with `BENCH_REPORTS_DERIVE=0` as well, its rollups are kept as they are (a rerun with the same rollup code).
"""

from __future__ import annotations

import math
import os
import platform
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import psycopg
import redis

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import REDIS, free_port, fresh_schema, hub_env, hub_process, stop, wait_http  # noqa: E402

SCALE = float(os.environ.get("BENCH_SCALE", "1"))
CONTACTS = int(100_000 * SCALE)
MESSAGES = int(1_000_000 * SCALE)
ORDERS = int(200_000 * SCALE)
EVENTS = int(10_000_000 * SCALE)
SAMPLES = int(os.environ.get("BENCH_REPORTS_SAMPLES", "40"))
SCHEMA = "bench_reports"
REUSE = os.environ.get("BENCH_REPORTS_REUSE", "") not in ("", "0")
PASSWORD = "bench-password-1"
NOW = datetime.now(UTC).replace(microsecond=0)
HK = ZoneInfo("Asia/Hong_Kong")
GOAL_MS = 100.0
KINDS = (  # (kind, share of the facts)
    ("message.received", 0.33), ("message.sent", 0.33), ("message.delivered", 0.12), ("message.read", 0.08),
    ("conversation.opened", 0.03), ("conversation.first_response", 0.03), ("conversation.reply", 0.04),
    ("conversation.resolved", 0.02), ("order.paid", 0.015), ("order.refunded", 0.001), ("csat.sent", 0.003),
    ("csat.answered", 0.001))
DURATIONS = {"conversation.first_response", "conversation.reply", "conversation.resolved"}


def conninfo(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def _ts(moment: datetime) -> str:
    return moment.isoformat()


def seed(url: str) -> dict[str, float]:
    from hub.agents.service import hash_password

    rng = random.Random(20261206)
    took: dict[str, float] = {}
    began = time.perf_counter()
    with psycopg.connect(conninfo(url)) as conn, conn.cursor() as cur:
        teams = [cur.execute("INSERT INTO team (name, created_at) VALUES (%s, %s) RETURNING id",
                             (name, NOW)).fetchone()[0] for name in ("香港", "台灣", "日本")]  # type: ignore[index]
        channels = [cur.execute("INSERT INTO channel (kind, name, config, is_active, created_at) "
                                "VALUES (%s, %s, '{}', true, %s) RETURNING id",
                                (kind, name, NOW)).fetchone()[0]  # type: ignore[index]
                    for kind, name in (("whatsapp_meta", "WhatsApp"), ("telegram", "Telegram"),
                                       ("webchat", "Web chat"))]
        hashed = hash_password(PASSWORD)
        cur.execute("INSERT INTO users (email, name, password_hash, role, locale, is_active, online, session_version,"
                    " created_at) VALUES ('admin@bench.test', 'Admin', %s, 'admin', 'en', true, true, 1, %s)",
                    (hashed, NOW))
        agents = []
        for n in range(10):
            agent = cur.execute(
                "INSERT INTO users (email, name, password_hash, role, locale, is_active, online, session_version, "
                "created_at) VALUES (%s, %s, %s, 'agent', 'en', true, true, 1, %s) RETURNING id",
                (f"agent{n:02d}@bench.test", f"Agent {n:02d}", hashed, NOW)).fetchone()[0]  # type: ignore[index]
            cur.execute("INSERT INTO team_member (team_id, user_id) VALUES (%s, %s)", (teams[n % 3], agent))
            agents.append(agent)
        campaigns = [cur.execute("INSERT INTO campaign (name, status, channel_mode, channel_ids, variants, defaults, "
                                 "local_time, attribution_hours, created_at, launched_at) VALUES (%s, 'done', "
                                 "'fixed', '[]', '[]', '{}', false, 72, %s, %s) RETURNING id",
                                 (f"Campaign {n}", NOW - timedelta(days=10 * n + 5),
                                  NOW - timedelta(days=10 * n + 5))).fetchone()[0]  # type: ignore[index]
                     for n in range(5)]
        started = time.perf_counter()
        with cur.copy("COPY contact (id, name, custom_fields, created_at, updated_at) FROM STDIN") as copy:
            for i in range(1, CONTACTS + 1):
                copy.write_row((i, f"客戶 {i}", "{}", _ts(NOW), _ts(NOW)))
        with cur.copy("COPY conversation (id, contact_id, channel_id, status, team_id, assignee_id, "
                      "last_activity_at, unread_count, created_at) FROM STDIN") as copy:
            for i in range(1, CONTACTS + 1):
                moment = NOW - timedelta(days=365 * rng.random())
                copy.write_row((i, i, channels[i % 3], "resolved", teams[i % 3], agents[i % 10], _ts(moment), 0,
                                _ts(moment)))
        with cur.copy("COPY message (conversation_id, channel_id, direction, kind, payload, status, sender, "
                      "attempts, created_at, occurred_at) FROM STDIN") as copy:
            for n in range(MESSAGES):
                conversation = rng.randrange(1, CONTACTS + 1)
                moment = _ts(NOW - timedelta(days=365 * rng.random()))
                inbound = n % 2 == 0
                copy.write_row((conversation, channels[conversation % 3], "inbound" if inbound else "outbound",
                                "text", "{}", "received" if inbound else "read", "reply", 0, moment, moment))
        with cur.copy("COPY orders (number, contact_id, conversation_id, channel_id, agent_id, campaign_id, "
                      "currency, total_minor, status, created_at, paid_at) FROM STDIN") as copy:
            for n in range(ORDERS):
                contact = rng.randrange(1, CONTACTS + 1)
                moment = _ts(NOW - timedelta(days=400 * rng.random() ** 1.5))
                copy.write_row((f"B{n:08d}", contact, contact, channels[contact % 3], agents[contact % 10],
                                rng.choice(campaigns) if rng.random() < 0.2 else None, rng.choice(["HKD", "JPY"]),
                                rng.randrange(1000, 100000), "refunded" if rng.random() < 0.02 else "paid", moment,
                                moment))
        with cur.copy("COPY campaign_recipient (campaign_id, contact_id, channel_id, variant, state, attempts, "
                      "sent_at, delivered_at, read_at, replied_at, converted_at) FROM STDIN") as copy:
            for campaign in campaigns:
                for contact in rng.sample(range(1, CONTACTS + 1), max(1, CONTACTS // 20)):
                    at = _ts(NOW - timedelta(days=5))
                    roll = rng.random()
                    copy.write_row((campaign, contact, channels[0], rng.choice("AB"), "sent", 1, at,
                                    at if roll < 0.9 else None, at if roll < 0.6 else None,
                                    at if roll < 0.1 else None, at if roll < 0.03 else None))
        took["seed hub rows"] = time.perf_counter() - started
        started = time.perf_counter()
        names, weights = [k for k, _ in KINDS], [w for _, w in KINDS]
        with cur.copy("COPY report_event (kind, source_key, at, day, conversation_id, channel_id, team_id, agent_id, "
                      "campaign_id, currency, amount_minor, seconds, business_seconds, value) FROM STDIN") as copy:
            for n in range(EVENTS):
                kind = rng.choices(names, weights)[0]
                at = NOW - timedelta(seconds=365 * 86400 * rng.random())
                conversation = rng.randrange(1, CONTACTS + 1)
                money = kind.startswith("order.")
                seconds = rng.expovariate(1 / 3600) if kind in DURATIONS else None
                copy.write_row((
                    kind, f"bench:{n}", _ts(at), at.astimezone(HK).date().isoformat(), conversation,
                    channels[conversation % 3], teams[conversation % 3], agents[conversation % 10],
                    rng.choice(campaigns) if money and rng.random() < 0.2 else None,
                    rng.choice(["HKD", "JPY"]) if money else None, rng.randrange(1000, 100000) if money else None,
                    seconds, seconds * 0.6 if seconds is not None else None,
                    rng.randint(1, 5) if kind == "csat.answered" else (int(rng.random() < 0.1)
                                                                       if kind == "conversation.first_response"
                                                                       else None)))
        took["seed facts (COPY)"] = time.perf_counter() - started
        for table in ("contact", "conversation", "message", "orders", "campaign_recipient"):
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))")
        conn.commit()
    took["total seeding"] = time.perf_counter() - began
    took.update(derive(url))
    return took


def reused(name: str) -> str | None:
    """The URL of a schema seeded before at this scale, migrated to the code's head; None if there is none."""
    from sqlalchemy import text

    from bench.common import PG
    from hub import schema
    from hub.runtime import db

    name += os.environ.get("BENCH_SCHEMA_SUFFIX", "")
    url = f"{PG}?options=-csearch_path%3D{name}%2Cpublic"
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            found = conn.execute(text("SELECT count(*) FROM pg_tables WHERE schemaname = :s AND tablename = "
                                      "'report_event'"), {"s": name}).scalar_one()
            if not found or conn.execute(text("SELECT count(*) FROM contact")).scalar_one() != CONTACTS:
                return None
            schema.upgrade(connection=conn)
            conn.commit()
    finally:
        engine.dispose()
    return url


def derive(url: str) -> dict[str, float]:
    """What the backfill derives from the facts: the rollups (daily sums, duration histograms, campaign totals);
    then VACUUM ANALYZE of the schema's tables the reports read."""
    took: dict[str, float] = {}
    started = time.perf_counter()
    from hub.runtime import db
    from reports import rollup

    engine = db.make_engine(url)
    from sqlalchemy import text
    from sqlmodel import Session

    from hub.runtime import partitions
    from reports.models import PARTITIONS

    with Session(engine) as session:  # the year's facts into their months and their keys, as recording puts them
        month = partitions.month_of(NOW - timedelta(days=366))
        while month <= NOW:
            partitions.create_month(session.connection(), PARTITIONS, month)
            month = partitions.add_months(month, 1)
        session.execute(text("INSERT INTO report_event_key (source_key, at) SELECT source_key, at FROM report_event "
                             "ON CONFLICT DO NOTHING"))
        session.commit()
    took["facts into monthly partitions"] = time.perf_counter() - started
    started = time.perf_counter()
    with Session(engine) as session:
        rows = rollup.rebuild(session)
        session.commit()
    from reports import months

    with Session(engine) as session:
        rows += months.fold(session)
        session.commit()
    engine.dispose()
    with psycopg.connect(conninfo(url), autocommit=True) as conn:
        for table in ("report_event", "report_rollup", "report_duration_histogram", "report_campaign_total",
                      "orders", "order_event", "campaign_recipient", "campaign", "contact", "conversation"):
            conn.execute(f"VACUUM ANALYZE {table}")  # the visibility map lets the covering index answer alone
    took[f"rollups rebuilt ({rows:,} rows)"] = time.perf_counter() - started
    return took


CASES = (
    ("service", {}), ("service", {"group_by": "agent"}), ("agents", {}), ("sales", {}),
    ("sales", {"group_by": "campaign"}), ("campaigns", {}), ("lifecycle", {}), ("csat", {"group_by": "team"}),
)


def pct(values: list[float], q: float) -> float:
    """The nearest-rank percentile (the smallest sample that a share q of the samples do not exceed), in ms: of 40,
    p95 is the 38th. With 20 it was the 20th, the slowest, so one stall of the machine decided a report's p95."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)] * 1000


def measure(base: str) -> list[tuple[str, float, float]]:
    client = httpx.Client(base_url=base, timeout=120)
    token = client.post("/api/v1/auth/token", data={"username": "admin@bench.test", "password": PASSWORD})
    token.raise_for_status()
    headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
    today = NOW.astimezone(HK).date()
    span = {"from": str(today - timedelta(days=89)), "to": str(today)}
    results = []
    for name, extra in CASES:
        path = f"/api/v1/reports/{name}"
        answer = client.get(path, params={**span, **extra}, headers=headers)  # warm
        answer.raise_for_status()
        times = []
        for _ in range(SAMPLES):
            started = time.perf_counter()
            client.get(path, params={**span, **extra}, headers=headers).raise_for_status()
            times.append(time.perf_counter() - started)
        label = name + "".join(f" {k}={v}" for k, v in extra.items())
        results.append((label, pct(times, 0.5), pct(times, 0.95)))
    return results


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="hub-bench-reports-"))
    url = reused(SCHEMA) if REUSE else None
    if url is not None:
        print("reusing the seeded schema")
        took = derive(url) if os.environ.get("BENCH_REPORTS_DERIVE", "1") != "0" else {}
    else:
        url = fresh_schema(SCHEMA)
        took = seed(url)
    for step, seconds in took.items():
        print(f"{step}: {seconds:.1f} s")
    redis.Redis.from_url(REDIS).flushdb()
    port = free_port()
    server = hub_process(["serve", "--port", str(port)], hub_env(url, port, work), work / "serve.log")
    try:
        wait_http(f"http://127.0.0.1:{port}/healthz", timeout=300)  # a loaded machine starts slowly
        results = measure(f"http://127.0.0.1:{port}")
    finally:
        stop(server)
    print(f"\nreports benchmark: {CONTACTS:,} contacts, {MESSAGES:,} messages, {ORDERS:,} orders, {EVENTS:,} facts; "
          f"90-day range; {SAMPLES} samples each, one at a time, warm; 1 API process; {os.cpu_count()} cores, "
          f"Python {platform.python_version()}")
    print("| report | p50 ms | p95 ms |\n|---|---|---|")
    for label, p50, p95 in results:
        print(f"| {label} | {p50:.1f} | {p95:.1f} |")
    worst = max(results, key=lambda r: r[2])
    print(f"goal: every report p95 ≤ {GOAL_MS:.0f} ms -> {'MET' if worst[2] <= GOAL_MS else 'NOT MET'} "
          f"(worst {worst[2]:.1f} ms: {worst[0]})")
    print(f"  logs in {work}")


if __name__ == "__main__":
    main()
