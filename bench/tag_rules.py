"""Tag-rule benchmark (run by bench/routing.py's main): 500 rules, a realistic mix of keyword lists in
Chinese, Japanese and English, patterns, channel- and contact-scoped rules, evaluated on recorded
multilingual messages with no I/O; mean, p50 and p99 microseconds per message for each keyword engine
(one Aho–Corasick automaton, or one `str.find` per keyword). Then the whole tagging job per message on
PostgreSQL, for the queue's sake.

Run: `.venv/bin/python bench/routing.py` (BENCH_TAG_RULES=500, BENCH_TAG_ROUNDS=20).
"""

from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import REDIS, fresh_schema  # noqa: E402

TAG_RULES = int(os.environ.get("BENCH_TAG_RULES", "500"))
TAG_ROUNDS = int(os.environ.get("BENCH_TAG_ROUNDS", "20"))
FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "tagging" / "messages.json"
WORDS = {  # what shops put in keyword rules, in the three languages customers write
    "zh": ["退款", "退貨", "換貨", "訂單", "送貨", "運費", "自取", "付款", "信用卡", "八達通", "優惠券", "折扣", "會員",
           "尺碼", "顏色", "有冇貨", "投訴", "態度", "破損", "發票", "分期", "波鞋", "外套", "手袋", "禮物", "包裝"],
    "ja": ["返金", "返品", "交換", "注文", "配送", "送料", "店舗受け取り", "支払い", "クレジットカード", "クーポン",
           "割引", "会員", "サイズ", "在庫", "苦情", "破損", "領収書", "分割払い", "ジャケット", "ギフト",
           "キャンセル"],
    "en": ["refund", "return", "exchange", "order", "delivery", "shipping", "pick up", "payment", "credit card",
           "coupon", "discount", "member", "size", "in stock", "complaint", "rude", "broken", "invoice", "gift wrap",
           "cancel", "tracking number", "out of stock", "warranty", "wholesale"],
}


def _tag_rule_specs(count: int) -> list[dict[str, Any]]:
    """A realistic mix: keyword lists (mostly), patterns, channel- and contact-scoped rules."""
    import random

    rng = random.Random(7)
    vocabulary = [w for words in WORDS.values() for w in words]
    kinds = ["whatsapp_meta", "whatsapp_twilio", "sms_twilio", "telegram", "webchat"]
    specs: list[dict[str, Any]] = []
    for n in range(count):
        lang = rng.choice(list(WORDS))
        words = rng.sample(WORDS[lang], 3) + [f"{rng.choice(['SKU', '型號', '品番'])}{rng.randint(1000, 9999)}"
                                              for _ in range(rng.randint(1, 4))]
        keywords = {"type": "keywords", "values": words}
        roll = n % 10
        if roll < 6:
            conditions = [keywords]
        elif roll == 6:
            prefix = rng.choice(["order", "訂單", "注文", "SKU", "單號", "invoice"])
            conditions = [{"type": "pattern", "value": rf"{prefix}\D{{0,8}}\d{{{rng.randint(3, 6)},}}"}]
        elif roll == 7:
            conditions = [keywords, {"type": "channel", "kinds": rng.sample(kinds, 2)}]
        elif roll == 8:
            conditions = [{"type": "keywords", "values": rng.sample(vocabulary, 4)},
                          {"type": "custom_field", "field": "tier", "value": rng.choice(["gold", "silver"])}]
        else:
            conditions = [rng.choice([{"type": "locale", "values": [rng.choice(["ja", "zh", "en"])]},
                                      {"type": "contact_tag", "op": "has", "tag": "VIP"},
                                      {"type": "hours", "when": "outside"}]),
                          {"type": "channel", "kinds": [rng.choice(kinds)]}]
        specs.append({"name": f"rule {n}", "conditions": conditions, "actions": [{"tag": f"tag {n % 40}"}]})
    return specs


def _recorded_messages() -> list[tuple[str, str, str]]:
    """(text, channel kind, locale): the tests' recorded messages and the demo set's, 290 in all."""
    import csv
    import json

    from hub.tagging.train import DEMO_SET

    recorded = [(m["text"], m["channel"], m["locale"]) for m in json.loads(FIXTURE.read_text())["messages"]]
    with DEMO_SET.open(encoding="utf-8") as handle:
        kinds = ["whatsapp_meta", "sms_twilio", "telegram", "webchat"]
        demo = [(row["text"], kinds[n % 4], row["lang"]) for n, row in enumerate(csv.DictReader(handle))]
    return recorded + demo


def _time_rules(engine: str, specs: list[dict[str, Any]], messages: list[Any]) -> tuple[float, list[float], int]:
    from datetime import UTC, datetime

    from hub.tagging import rules

    began = time.perf_counter()
    ruleset = rules.RuleSet([(n, rules.parse(spec)) for n, spec in enumerate(specs, 1)],
                            rules.Schedule("Asia/Hong_Kong", {"mon": [["10:00", "19:00"]]}), engine=engine)  # type: ignore[arg-type]
    compile_ms = (time.perf_counter() - began) * 1000
    facts = [rules.Facts(text=text, channel_id=1, channel_kind=kind, locale=locale,
                         custom_fields={"tier": "gold" if n % 3 == 0 else "silver"},
                         contact_tags=frozenset({"VIP"} if n % 5 == 0 else ()))
             for n, (text, kind, locale) in enumerate(messages)]
    now, samples, hits = datetime(2026, 11, 23, 14, 0, tzinfo=UTC), [], 0
    for _ in range(TAG_ROUNDS):
        for item in facts:
            began_ns = time.perf_counter_ns()
            held = ruleset.evaluate(item, now)
            samples.append((time.perf_counter_ns() - began_ns) / 1000)
            hits += len(held)
    return compile_ms, samples, hits // TAG_ROUNDS


def bench_tag_rules() -> None:
    """Tag-rule evaluation per message: 500 rules on recorded zh/ja/en messages, no I/O; mean and p99 µs."""
    from hub.tagging import match

    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    specs, messages = _tag_rule_specs(TAG_RULES), _recorded_messages()
    print(f"## tag rules: {TAG_RULES} rules x {len(messages)} recorded messages x {TAG_ROUNDS} rounds")
    print(f"machine: {os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
          f"{platform.system()} {platform.release()}; regex timeout: {match.HAS_TIMEOUT}\n")
    print("| keyword engine | compile ms | mean µs/message | p50 µs | p99 µs | max µs | rules held per message |")
    print("|---|---|---|---|---|---|---|")
    for engine in ("automaton", "scan"):
        if engine == "automaton" and match.ahocorasick is None:
            print("| automaton | pyahocorasick not installed | | | | | |")
            continue
        compile_ms, samples, hits = _time_rules(engine, specs, messages)
        ordered = sorted(samples)
        mean = sum(ordered) / len(ordered)
        print(f"| {engine} | {compile_ms:.0f} | {mean:.1f} | {ordered[len(ordered) // 2]:.1f} | "
              f"{ordered[int(0.99 * len(ordered))]:.1f} | {ordered[-1]:.0f} | {hits / len(messages):.2f} |")
    print("\ngoal: mean and p99 at most 1,000 µs per message\n")
    _time_job(specs, messages)


def _time_job(specs: list[dict[str, Any]], messages: list[tuple[str, str, str]]) -> None:
    """The whole `apply_rules` job per message on PostgreSQL (called directly, without RQ's own cost)."""
    import tempfile
    from datetime import UTC, datetime

    os.environ.update(HUB_DATABASE_URL=fresh_schema("bench_tagging"), HUB_REDIS_URL=REDIS, HUB_ENV="development",
                      HUB_VAR_DIR=tempfile.mkdtemp(prefix="bench-tagging-"), HUB_LOG_LEVEL="WARNING",
                      HUB_SECRET_KEY="bench-secret-key-0123456789-0123456789")
    from channels import IdentityRef, InboundMessage
    from hub.channel_records import service as channels
    from hub.ingest.service import receive
    from hub.runtime import db
    from hub.runtime.settings import get_settings
    from hub.tagging import admin, jobs, service, train

    get_settings.cache_clear()
    db.reset_engines()
    service.forget()
    with db.session_scope() as session:
        for spec in specs:
            admin.create_rule(session=session, actor=None, values=spec)
        channel = channels.create(session=session, kind="whatsapp_meta", name="bench", config={})
    ids = []
    with db.session_scope() as session:
        for n, (text, _, locale) in enumerate(messages):
            stored = receive(session=session, channel_id=channel.id or 0, inbound=InboundMessage(
                provider_message_id=f"bench.{n}", identities=(IdentityRef("phone", f"+8529{n:07d}"),), kind="text",
                sent_at=datetime.now(UTC), text=text, locale=locale))
            ids.append(stored.id if stored else 0)
    print("| the tagging job per message (PostgreSQL) | ms/message |\n|---|---|")
    for label, model in (("rules, first run (tags, audit entries, events written)", False),
                         ("rules, again (nothing new: the cost of a duplicate job)", False),
                         ("rules + classifier suggestions", True)):
        if model:
            train.save(train.fit(train.demo_examples()))
        began = time.perf_counter()
        for message_id in ids:
            jobs.apply_rules(message_id)
        print(f"| {label} | {(time.perf_counter() - began) / len(ids) * 1000:.1f} |")
    db.reset_engines()


if __name__ == "__main__":
    bench_tag_rules()
