"""Ingest benchmark: signed webhooks (Meta, Twilio, Telegram; 10% duplicates; receipts out of order)
against `hub serve` + two `hub worker`s on PostgreSQL and Redis, compared with two bare endpoints.

Prints acknowledged/s, p50/p99 acknowledgement latency, the processing rate of two workers (stored events
processed, and every job the listeners queued done too), the exact counts (nothing lost, nothing doubled),
and Hub/(a), Hub/(b).
Run: `.venv/bin/python bench/ingest.py` (BENCH_N=20000 by default).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import random
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlencode

import redis
from sqlalchemy import text
from twilio.request_validator import RequestValidator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (  # noqa: E402
    REDIS,
    Request,
    free_port,
    fresh_schema,
    hub_env,
    hub_process,
    post_all,
    start,
    start_workers,
    stop,
    wait_http,
)

N = int(os.environ.get("BENCH_N", "20000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "64"))
META_SECRET, TWILIO_TOKEN, TELEGRAM_SECRET = "bench-app-secret", "bench-auth-token", "bench-telegram-secret"
ACCOUNT = "AC" + "0" * 32


def setup_channels(database_url: str, public_url: str, receipts: int) -> dict[str, int]:
    os.environ.update(HUB_DATABASE_URL=database_url, HUB_REDIS_URL=REDIS, HUB_PUBLIC_URL=public_url,
                      HUB_ALLOW_PRIVATE_URLS="true", HUB_SECRET_KEY="bench-secret-key-0123456789-0123456789")
    from hub.channel_records import service as channels
    from hub.contacts.models import ChannelIdentity, Contact
    from hub.conversations.models import Conversation, Message
    from hub.runtime import db
    from hub.runtime.settings import get_settings

    get_settings.cache_clear()
    db.reset_engines()
    with db.session_scope() as session:
        ids = {
            "meta": channels.create(session=session, kind="whatsapp_meta", name="bench meta", config={
                "phone_number_id": "106540352242922", "access_token": "x", "app_secret": META_SECRET,
                "verify_token": "v"}).id,
            "twilio": channels.create(session=session, kind="sms_twilio", name="bench sms", config={
                "account_sid": ACCOUNT, "auth_token": TWILIO_TOKEN, "from_number": "+15550001111"}).id,
            "telegram": channels.create(session=session, kind="telegram", name="bench bot", config={
                "bot_token": "1:x", "secret_token": TELEGRAM_SECRET}).id,
        }
        contact = Contact(name="Receipts")
        session.add(contact)
        session.flush()
        session.add(ChannelIdentity(contact_id=contact.id, kind="whatsapp", value="+85290000000", phone="+85290000000"))
        conversation = Conversation(contact_id=contact.id, channel_id=ids["meta"])
        session.add(conversation)
        session.flush()
        session.add_all([Message(conversation_id=conversation.id, channel_id=ids["meta"], direction="outbound",
                                 text="order shipped", status="sent", provider_message_id=f"wamid.OUT{i}")
                         for i in range(receipts)])
    db.reset_engines()
    return {k: int(v or 0) for k, v in ids.items()}


def meta_request(channel_id: int, value: dict) -> Request:
    body = json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "102290129340398", "changes": [
        {"field": "messages", "value": {"messaging_product": "whatsapp", "metadata": {
            "display_phone_number": "15550783881", "phone_number_id": "106540352242922"}, **value}}]}]},
        ensure_ascii=False).encode()
    signature = "sha256=" + hmac.new(META_SECRET.encode(), body, hashlib.sha256).hexdigest()
    return Request(f"/webhooks/meta/{channel_id}", body,
                   {"Content-Type": "application/json", "X-Hub-Signature-256": signature})


def meta_message(channel_id: int, n: int) -> Request:
    wa_id = f"8529{n % 5000:07d}"
    return meta_request(channel_id, {
        "contacts": [{"profile": {"name": f"客戶 {n % 5000}"}, "wa_id": wa_id}],
        "messages": [{"from": wa_id, "id": f"wamid.IN{n}", "timestamp": str(1763830000 + n), "type": "text",
                      "text": {"body": f"你好，我想問訂單 #{n} 幾時到？"}}]})


def meta_status(channel_id: int, n: int, status: str) -> Request:
    return meta_request(channel_id, {"statuses": [{"id": f"wamid.OUT{n}", "status": status,
                                                   "timestamp": str(1763830000 + n), "recipient_id": "85290000000"}]})


def twilio_inbound(channel_id: int, public_url: str, n: int) -> Request:
    path = f"/webhooks/twilio/{channel_id}/inbound"
    params = {"ToCountry": "US", "SmsMessageSid": f"SM{n:032d}", "NumMedia": "0", "SmsSid": f"SM{n:032d}",
              "SmsStatus": "received", "Body": f"Hi, is order {n} shipped?", "To": "+15550001111",
              "NumSegments": "1", "MessageSid": f"SM{n:032d}", "AccountSid": ACCOUNT,
              "From": f"+1415{n % 5000:07d}", "ApiVersion": "2010-04-01"}
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(public_url + path, params)
    return Request(path, urlencode(params).encode(), {"Content-Type": "application/x-www-form-urlencoded",
                                                      "X-Twilio-Signature": signature})


def telegram_update(channel_id: int, n: int) -> Request:
    user = 700000000 + n % 5000
    body = json.dumps({"update_id": n, "message": {
        "message_id": n, "date": 1763830000, "text": f"注文番号{n}の配送状況を教えてください",
        "from": {"id": user, "is_bot": False, "first_name": "太郎", "language_code": "ja"},
        "chat": {"id": user, "type": "private", "first_name": "太郎"}}}, ensure_ascii=False).encode()
    return Request(f"/webhooks/telegram/{channel_id}", body, {"Content-Type": "application/json",
                                                              "X-Telegram-Bot-Api-Secret-Token": TELEGRAM_SECRET})


def build(ids: dict[str, int], public_url: str, receipts: int) -> tuple[list[Request], int]:
    """The load: unique inbound messages, receipts for seeded messages (read before delivered), 10% repeats."""
    rng = random.Random(7)
    unique: list[Request] = []
    inbound = N - receipts * 2 - N // 10
    for n in range(inbound):
        pick = n % 10
        if pick < 4:
            unique.append(meta_message(ids["meta"], n))
        elif pick < 7:
            unique.append(twilio_inbound(ids["twilio"], public_url, n))
        else:
            unique.append(telegram_update(ids["telegram"], n))
    for n in range(receipts):
        unique += [meta_status(ids["meta"], n, "read"), meta_status(ids["meta"], n, "delivered")]
    load = unique + [rng.choice(unique) for _ in range(N - len(unique))]
    rng.shuffle(load)
    return load, inbound


def scalar(url: str, sql: str) -> int:
    from hub.runtime import db

    engine = db.make_engine(url)
    with engine.connect() as conn:
        value = conn.execute(text(sql)).scalar_one()
    engine.dispose()
    return int(value)


def queues_idle() -> bool:
    """No job waiting, scheduled for a retry or running in any of Hub's queues."""
    from rq.registry import ScheduledJobRegistry, StartedJobRegistry

    from hub.runtime import broker

    for name in broker.QUEUES:
        queue = broker.queue(name)
        if queue.count or StartedJobRegistry(queue=queue).count or ScheduledJobRegistry(queue=queue).count:
            return False
    return True


def job_counts() -> tuple[int, int, list[tuple[str, int, float]]]:
    """Jobs finished (kept for RQ's result TTL, 500 s: longer than a run) and failed over Hub's queues, and the
    finished ones per function: how many and their summed run time in seconds, longest first."""
    from rq.job import Job
    from rq.registry import FailedJobRegistry, FinishedJobRegistry

    from hub.runtime import broker

    queues = [broker.queue(name) for name in broker.QUEUES]
    per_function: dict[str, list[float]] = {}
    finished = 0
    for queue in queues:
        ids = FinishedJobRegistry(queue=queue).get_job_ids()
        finished += len(ids)
        for first in range(0, len(ids), 1000):
            for job in Job.fetch_many(ids[first:first + 1000], connection=broker.connection()):
                if job is not None and job.started_at and job.ended_at:
                    name = ".".join(job.func_name.split(".")[-2:])  # module.function
                    per_function.setdefault(name, []).append((job.ended_at - job.started_at).total_seconds())
    failed = sum(FailedJobRegistry(queue=queue).count for queue in queues)
    table = sorted(((name, len(runs), sum(runs)) for name, runs in per_function.items()), key=lambda row: -row[2])
    return finished, failed, table


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    url = fresh_schema("bench_ingest")
    redis.Redis.from_url(REDIS).flushdb()
    port = free_port()
    public_url = f"http://127.0.0.1:{port}"
    receipts = N // 20
    ids = setup_channels(url, public_url, receipts)
    load, inbound = build(ids, public_url, receipts)
    env = hub_env(url, port, work)
    if os.environ.get("BENCH_REPORTS") == "off":  # without the reports' listeners, to see what they cost
        env["HUB_REPORTS_RECORD"] = "false"

    server = hub_process(["serve", "--port", str(port)], env, work / "serve.log")
    wait_http(public_url + "/healthz", timeout=300)  # a loaded machine starts slowly
    post_all(public_url, load[:500], CONCURRENCY)  # warm up (these are part of the load: duplicates later are fine)
    hub = post_all(public_url, load, CONCURRENCY)
    stop(server)

    workers, first_ready, last_ready = start_workers(env, work)
    started = time.perf_counter() - (last_ready - first_ready)  # from when the first worker took jobs
    unique_events = scalar(url, "SELECT count(*) FROM webhook_event")
    while scalar(url, "SELECT count(*) FROM webhook_event WHERE processed_at IS NULL") > 0:
        time.sleep(0.2)
    processing = time.perf_counter() - started
    while not queues_idle():  # the listeners' jobs (tagging, assignment, bots, reports, ...) still queued or running
        time.sleep(0.2)
    everything = time.perf_counter() - started
    stop(*workers)
    finished, failed_jobs, per_function = job_counts()

    messages = scalar(url, "SELECT count(*) FROM message WHERE direction = 'inbound'")
    read = scalar(url, "SELECT count(*) FROM message WHERE direction = 'outbound' AND status = 'read'")
    failed_events = scalar(url, "SELECT count(*) FROM webhook_event WHERE error IS NOT NULL")

    bare_port = free_port()
    bare_env = dict(os.environ, BARE_CONNINFO=url.replace("postgresql+psycopg://", "postgresql://"))
    bare = start([sys.executable, "-m", "uvicorn", "bench.bare_app:app", "--port", str(bare_port), "--log-level",
                  "warning"], bare_env, work / "bare.log")
    bare_url = f"http://127.0.0.1:{bare_port}"
    wait_http(bare_url + "/docs", timeout=300)
    post_all(bare_url, load[:500], CONCURRENCY, prefix="/a")
    floor_a = post_all(bare_url, load, CONCURRENCY, prefix="/a")
    floor_b = post_all(bare_url, load, CONCURRENCY, prefix="/b")
    stop(bare)

    print(f"ingest benchmark: {N} webhooks ({inbound} unique messages, {receipts * 2} receipts, "
          f"{N - inbound - receipts * 2} repeats), {CONCURRENCY} connections, 1 API process, PostgreSQL + Redis")
    for name, result in (("hub", hub), ("(a) parse + 200", floor_a), ("(b) parse + INSERT + commit", floor_b)):
        print(f"  {name:28s} {result.per_second:8.0f} req/s   p50 {result.percentile(0.5):6.1f} ms   "
              f"p99 {result.percentile(0.99):6.1f} ms   statuses {result.statuses}")
    ratio_a, ratio_b = hub.per_second / floor_a.per_second, hub.per_second / floor_b.per_second
    print(f"  Hub/(a) = {ratio_a:.2f}   Hub/(b) = {ratio_b:.2f}")
    print(f"  processing: {unique_events} stored events in {processing:.1f} s with 2 workers = "
          f"{unique_events / processing:.0f} events/s (clock from the first worker ready; workers ready in "
          f"{first_ready:.1f} / {last_ready:.1f} s)")
    ok = messages == inbound and read == receipts and failed_events == 0
    print(f"  every job done: {everything:.1f} s = {unique_events / everything:.0f} events/s ({finished} jobs "
          f"finished, {failed_jobs} failed); the jobs' run time by function:")
    for name, count, seconds in per_function[:12]:
        print(f"    {name:40s} {count:7d} jobs {seconds:8.1f} s   {seconds / count * 1000:6.1f} ms each")
    print(f"  counts: inbound messages {messages} (expected {inbound}), receipts read {read} (expected {receipts}), "
          f"failed events {failed_events} -> {'EXACT' if ok else 'MISMATCH'}")
    print(f"  logs in {work}")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
